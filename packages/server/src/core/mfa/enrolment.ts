import type { RequestContext } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';
import { InvalidMfaCode, InvalidRequest } from '../errors.js';
import { generateBackupCodes, normalizeBackupCode } from './backup-codes.js';
import {
  assertCodesAllowed,
  clearWrongCodes,
  isMfaEnabled,
  MFA_MAX_FAILURES_PER_USER,
  mfaUserKey,
  recordWrongCode,
  useSecondFactor,
} from './second-factor.js';
import { hashBackupCode, openSecret, sealSecret } from './secret-box.js';
import { matchTotpStep, newTotpSecret, otpauthUrl } from './totp.js';

export type EnrolmentDeps = Pick<CoreDeps, 'mfa' | 'mfaKey' | 'users' | 'clock' | 'audit' | 'throttle' | 'config'>;

/** The name authenticator apps show beside the account. */
function issuerLabel(issuer: string): string {
  try {
    return `Latchkey (${new URL(issuer).host})`;
  } catch {
    return 'Latchkey';
  }
}

/**
 * POST /auth/mfa/totp/setup: a fresh secret, sealed at rest, waiting for a first code.
 * An enabled enrolment is not replaced: disable it first (with a code), so a stolen
 * session alone cannot move the second factor to the thief's phone.
 */
export async function setupTotp(deps: EnrolmentDeps, userId: string): Promise<{ secret: string; otpauthUrl: string }> {
  if (await isMfaEnabled(deps, userId)) {
    throw new InvalidRequest('Two-factor authentication is already enabled; disable it before setting up a new authenticator.');
  }
  const user = await deps.users.findById(userId);
  if (!user) throw new InvalidRequest('No such user.');
  const secret = newTotpSecret();
  await deps.mfa.savePendingTotp(userId, sealSecret(deps.mfaKey, userId, secret), deps.clock.now());
  return { secret, otpauthUrl: otpauthUrl(secret, user.email, issuerLabel(deps.config.issuer)) };
}

/** POST /auth/mfa/totp/enable: a first right code turns the pending secret on; ten backup codes, shown once. */
export async function enableTotp(
  deps: EnrolmentDeps,
  input: { userId: string; sessionId: string; code: string; ctx: RequestContext },
): Promise<{ backupCodes: string[] }> {
  const { userId } = input;
  const keys: Array<[string, number]> = [[mfaUserKey(userId), MFA_MAX_FAILURES_PER_USER]];
  await assertCodesAllowed(deps, keys);
  const record = await deps.mfa.findTotp(userId);
  if (!record?.pendingSecretSealed) {
    if (record?.enabledAt) throw new InvalidRequest('Two-factor authentication is already enabled.');
    throw new InvalidRequest('Set up an authenticator first (POST /auth/mfa/totp/setup).');
  }
  const now = deps.clock.now();
  const step = matchTotpStep(openSecret(deps.mfaKey, userId, record.pendingSecretSealed), input.code.replace(/\s/g, ''), now);
  if (step === null) {
    await recordWrongCode(deps, keys);
    throw new InvalidMfaCode(400, 'The code is not valid. Check the time on the device and try the current code.');
  }
  const backupCodes = generateBackupCodes();
  const enabled = await deps.mfa.enableTotp({
    userId,
    pendingSecretSealed: record.pendingSecretSealed,
    step,
    backupCodeHashes: backupCodes.map((code) => hashBackupCode(deps.mfaKey, userId, normalizeBackupCode(code)!)),
    now,
  });
  if (!enabled) throw new InvalidMfaCode(400, 'The setup changed meanwhile; start again.', 'enable lost a race');
  await clearWrongCodes(deps, [mfaUserKey(userId)]);
  await deps.audit.record(auditEvent('mfa_enabled', input.ctx, now, { userId, sessionId: input.sessionId, data: { method: 'totp' } }));
  return { backupCodes };
}

/** POST /auth/mfa/totp/disable: needs a current code (or a backup code), not just the session. */
export async function disableTotp(
  deps: EnrolmentDeps,
  input: { userId: string; sessionId: string; code: string; ctx: RequestContext },
): Promise<void> {
  const { userId } = input;
  const keys: Array<[string, number]> = [[mfaUserKey(userId), MFA_MAX_FAILURES_PER_USER]];
  await assertCodesAllowed(deps, keys);
  if (!(await isMfaEnabled(deps, userId))) throw new InvalidRequest('Two-factor authentication is not enabled.');
  const factor = await useSecondFactor(deps, userId, input.code);
  if (!factor) {
    await recordWrongCode(deps, keys);
    throw new InvalidMfaCode(400);
  }
  await deps.mfa.disableTotp(userId);
  await clearWrongCodes(deps, [mfaUserKey(userId)]);
  await deps.audit.record(
    auditEvent('mfa_disabled', input.ctx, deps.clock.now(), { userId, sessionId: input.sessionId, data: { method: 'totp', with: factor } }),
  );
}
