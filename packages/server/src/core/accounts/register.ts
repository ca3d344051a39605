import { randomUUID } from 'node:crypto';
import type { RequestContext, UserRecord } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';
import { EmailTaken, InvalidRequest } from '../errors.js';
import { isValidEmail, normalizeEmail } from './email.js';
import { checkPasswordPolicy, isWellFormedText, normalizePassword } from './password-policy.js';

export type RegisterDeps = Pick<CoreDeps, 'users' | 'hasher' | 'clock' | 'audit' | 'commonPasswords'>;

export interface NewAccount {
  email: string;
  password: string;
  name: string;
  roles?: string[];
  tenantId?: string | null;
}

export async function registerUser(deps: RegisterDeps, input: NewAccount, ctx: RequestContext | null): Promise<UserRecord> {
  const user = await prepareUser(deps, input);
  if ((await deps.users.create(user)) === 'email_taken') throw new EmailTaken();
  await deps.audit.record(auditEvent('user_registered', ctx, user.createdAt, { userId: user.id }));
  return user;
}

/** Validates and hashes; the caller decides what to do when the email is taken. */
export async function prepareUser(
  deps: Pick<RegisterDeps, 'hasher' | 'clock' | 'commonPasswords'>,
  input: NewAccount,
): Promise<UserRecord> {
  if (!isWellFormedText(input.name)) throw new InvalidRequest('The name is not valid Unicode text (it holds an unpaired surrogate).');
  const name = input.name.trim().normalize('NFC');
  const nameLength = [...name].length;
  if (nameLength < 1 || nameLength > 100) throw new InvalidRequest('The name must be 1 to 100 characters.');
  if (!isValidEmail(input.email)) throw new InvalidRequest('The email address is not valid.');
  const password = normalizePassword(input.password);
  checkPasswordPolicy(password, deps.commonPasswords);
  const now = deps.clock.now();
  return {
    id: randomUUID(),
    email: input.email.trim().normalize('NFC'),
    emailNormalized: normalizeEmail(input.email),
    name,
    passwordHash: await deps.hasher.hash(password),
    roles: input.roles ?? [],
    tenantId: input.tenantId ?? null,
    status: 'active',
    createdAt: now,
    updatedAt: now,
  };
}
