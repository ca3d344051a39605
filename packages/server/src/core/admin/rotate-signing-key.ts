import type { KeyAlgorithm, RequestContext } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import type { CoreDeps } from '../deps.js';

/** POST /admin/keys/rotate: a new signing key; the old one verifies until its tokens expire. */
export async function rotateSigningKey(
  deps: Pick<CoreDeps, 'keyRing' | 'clock' | 'audit'>,
  input: { adminId: string; ctx: RequestContext },
): Promise<{ kid: string; alg: KeyAlgorithm }> {
  const { kid, alg } = await deps.keyRing.rotate();
  await deps.audit.record(
    auditEvent('key_rotated', input.ctx, deps.clock.now(), { userId: input.adminId, data: { kid, alg, by: input.adminId } }),
  );
  return { kid, alg };
}
