import type { SessionRecord, SessionType } from '../../ports.js';
import type { CoreConfig } from '../config.js';
import type { EndReason } from '../errors.js';

/** Why the session can no longer be used, or null while it is alive. */
export function lapsedReason(session: SessionRecord, now: number): EndReason | null {
  if (session.endedAt !== null) return session.endReason ?? 'revoked';
  if (now >= session.expiresAt) return 'expired';
  if (now >= session.idleExpiresAt) return 'idle_timeout';
  return null;
}

/** Absolute lifetime in seconds: 24 h standard, 30 days "keep me signed in" by default. */
export function absoluteTtl(type: SessionType, config: Pick<CoreConfig, 'sessionTtl' | 'rememberTtl'>): number {
  return type === 'extended' ? config.rememberTtl : config.sessionTtl;
}

/** The idle deadline never passes the absolute one. */
export function nextIdleExpiry(session: Pick<SessionRecord, 'expiresAt'>, now: number, idleTtl: number): number {
  return Math.min(now + idleTtl * 1000, session.expiresAt);
}
