import type { RevocationEvent, RevocationType } from '../../ports.js';
import type { CoreDeps } from '../deps.js';

export type RecordRevocationsDeps = Pick<CoreDeps, 'revocations' | 'revocationSignal' | 'clock' | 'config'>;

/**
 * Room beyond `accessTtl` before a rule may be forgotten: a token issued by a refresh
 * that raced the revocation (claimed just before, signed just after), and the clock
 * skew verifiers allow on `exp`.
 */
export const REVOCATION_MARGIN_MS = 60_000;

/**
 * Appends rules to the revocation feed (API.md "Revocation feed") and wakes its streams,
 * so resource servers following the feed reject the tokens within a second. A rule
 * lives as long as the longest access token it can affect.
 */
export async function recordRevocations(deps: RecordRevocationsDeps, rules: Array<{ type: RevocationType; id: string }>): Promise<void> {
  if (rules.length === 0) return;
  const at = deps.clock.now();
  const until = at + deps.config.accessTtl * 1000 + REVOCATION_MARGIN_MS;
  const events: RevocationEvent[] = rules.map((rule) => ({ ...rule, at, until }));
  await deps.revocations.append(events);
  deps.revocationSignal.notify();
}
