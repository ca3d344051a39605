import type { Clock, ThrottleStore } from '../../ports.js';
import { RateLimited } from '../errors.js';

const FIRST_LOCK_MS = 60_000;
const MAX_LOCK_MS = 3_600_000;
/** Failures are forgotten a day after the last one. */
const FAILURE_MEMORY_MS = 86_400_000;

/**
 * The key is the account (normalized email, known or not) and the client IP together:
 * a third party hammering one account from elsewhere cannot lock its owner out.
 */
export function backoffKey(emailNormalized: string, ip: string): string {
  return `login:${ip}:${emailNormalized}`;
}

/** Lock length after `failures`: none below the limit, then 1 min doubling up to 1 h. */
export function lockDuration(failures: number, maxFailures: number): number {
  if (failures < maxFailures) return 0;
  const doublings = Math.min(failures - maxFailures, 16);
  return Math.min(FIRST_LOCK_MS * 2 ** doublings, MAX_LOCK_MS);
}

export interface BackoffDeps {
  throttle: ThrottleStore;
  clock: Clock;
  maxFailures: number;
}

/** Throws RateLimited while the key is locked. */
export async function assertNotLocked(deps: BackoffDeps, key: string): Promise<void> {
  const { lockedUntil } = await deps.throttle.get(key);
  const now = deps.clock.now();
  if (lockedUntil > now) throw new RateLimited(Math.ceil((lockedUntil - now) / 1000));
}

export async function recordLoginFailure(deps: BackoffDeps, key: string): Promise<void> {
  const now = deps.clock.now();
  await deps.throttle.recordFailure(key, FAILURE_MEMORY_MS, (failures) => {
    const lock = lockDuration(failures, deps.maxFailures);
    return lock === 0 ? 0 : now + lock;
  });
}

export async function resetLoginFailures(deps: BackoffDeps, key: string): Promise<void> {
  await deps.throttle.reset(key);
}
