import type { Clock, MfaStore, ThrottleStore } from '../../ports.js';
import { assertNotLocked, recordLoginFailure, resetLoginFailures } from '../throttle/login-backoff.js';
import { normalizeBackupCode } from './backup-codes.js';
import { hashBackupCode, openSecret } from './secret-box.js';
import { looksLikeTotpCode, matchTotpStep } from './totp.js';

export interface SecondFactorDeps {
  mfa: MfaStore;
  mfaKey: Buffer;
  clock: Clock;
  throttle: ThrottleStore;
}

/**
 * Wrong codes per user, wherever they come from (sign-in, disable): with one step either
 * side three codes of a million are right at any moment, so ten tries before a lock that
 * doubles from one minute leave a guesser no useful odds.
 */
export const MFA_MAX_FAILURES_PER_USER = 10;

export function mfaUserKey(userId: string): string {
  return `mfa:user:${userId}`;
}

export async function isMfaEnabled(deps: Pick<SecondFactorDeps, 'mfa'>, userId: string): Promise<boolean> {
  const totp = await deps.mfa.findTotp(userId);
  return totp !== null && totp.enabledAt !== null && totp.secretSealed !== null;
}

/**
 * Checks a TOTP code or a backup code for an enrolled user and uses it up: a TOTP step is
 * accepted once (the store keeps the last step used, RFC 6238 §5.2), a backup code once.
 * Returns which factor matched, or null.
 */
export async function useSecondFactor(deps: SecondFactorDeps, userId: string, input: string): Promise<'totp' | 'backup_code' | null> {
  const code = input.replace(/\s/g, '');
  if (looksLikeTotpCode(code)) {
    const totp = await deps.mfa.findTotp(userId);
    if (!totp?.secretSealed || totp.enabledAt === null) return null;
    const step = matchTotpStep(openSecret(deps.mfaKey, userId, totp.secretSealed), code, deps.clock.now());
    if (step === null || step <= totp.lastUsedStep) return null;
    return (await deps.mfa.useTotpStep(userId, step)) ? 'totp' : null;
  }
  const normalized = normalizeBackupCode(code);
  if (!normalized) return null;
  return (await deps.mfa.useBackupCode(userId, hashBackupCode(deps.mfaKey, userId, normalized), deps.clock.now())) ? 'backup_code' : null;
}

/** Throws RateLimited while any of `keys` is locked by earlier wrong codes. */
export async function assertCodesAllowed(deps: SecondFactorDeps, keys: Array<[key: string, maxFailures: number]>): Promise<void> {
  for (const [key, maxFailures] of keys) await assertNotLocked({ throttle: deps.throttle, clock: deps.clock, maxFailures }, key);
}

export async function recordWrongCode(deps: SecondFactorDeps, keys: Array<[key: string, maxFailures: number]>): Promise<void> {
  for (const [key, maxFailures] of keys) await recordLoginFailure({ throttle: deps.throttle, clock: deps.clock, maxFailures }, key);
}

export async function clearWrongCodes(deps: SecondFactorDeps, keys: string[]): Promise<void> {
  for (const key of keys) await resetLoginFailures({ throttle: deps.throttle, clock: deps.clock, maxFailures: 0 }, key);
}
