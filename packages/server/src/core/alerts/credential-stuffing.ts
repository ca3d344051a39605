import type { ActivityWindow, AuditEvent } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';

export const STUFFING_WINDOW_MS = 10 * 60_000;
/** Distinct accounts failing from one IP within the window that make it credential stuffing. */
export const STUFFING_DISTINCT_ACCOUNTS = 10;

/**
 * One person mistypes their own password; a list of stolen credentials tried from one
 * address fails on many accounts. Counted per IP over a sliding window; the alert fires
 * once, when the count reaches the threshold (again only after the window has drained).
 * Per-account back-off (core/throttle) is deliberately not tightened here: the alert is
 * for a person to act on, and an IP-wide lock would let one NAT lock out a whole office.
 */
export async function detectCredentialStuffing(deps: { activity: ActivityWindow }, event: AuditEvent): Promise<AuditEvent | null> {
  if (event.ip === null) return null;
  const email = typeof event.data.email === 'string' ? event.data.email : null;
  const account = email ? `email:${email}` : event.userId ? `user:${event.userId}` : null;
  if (!account) return null;
  const accounts = await deps.activity.addDistinct(`login-failures:${event.ip}`, account, STUFFING_WINDOW_MS);
  if (accounts !== STUFFING_DISTINCT_ACCOUNTS) return null;
  return auditEvent(
    'credential_stuffing_suspected',
    { ip: event.ip, userAgent: event.userAgent ?? '', requestId: event.requestId ?? '' },
    event.at,
    { data: { accounts, windowSeconds: STUFFING_WINDOW_MS / 1000 } },
  );
}
