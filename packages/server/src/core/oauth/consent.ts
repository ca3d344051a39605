import type { ConsentRecord, RequestContext } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import { FIRST_PARTY_CLIENT_ID } from '../config.js';
import type { CoreDeps } from '../deps.js';
import { NotFound } from '../errors.js';
import { endSession, type EndSessionDeps } from '../sessions/end-session.js';

/** Remembers that the person allowed the client these scopes (added to what it had). */
export async function grantConsent(
  deps: Pick<CoreDeps, 'consents' | 'clock' | 'audit'>,
  input: { userId: string; clientId: string; scopes: string[]; ctx: RequestContext },
): Promise<void> {
  const now = deps.clock.now();
  const existing = await deps.consents.find(input.userId, input.clientId);
  const scopes = [...new Set([...(existing?.scopes ?? []), ...input.scopes])];
  await deps.consents.save({
    userId: input.userId,
    clientId: input.clientId,
    scopes,
    createdAt: existing?.createdAt ?? now,
    updatedAt: now,
  });
  await deps.audit.record(
    auditEvent('consent_granted', input.ctx, now, { userId: input.userId, data: { clientId: input.clientId, scopes: input.scopes } }),
  );
}

export interface ConsentView extends ConsentRecord {
  clientName: string;
}

/** The clients a person has allowed, for the account page. */
export async function listConsents(deps: Pick<CoreDeps, 'consents' | 'clients'>, userId: string): Promise<ConsentView[]> {
  const consents = await deps.consents.listForUser(userId);
  return Promise.all(consents.map(async (c) => ({ ...c, clientName: (await deps.clients.findById(c.clientId))?.name ?? c.clientId })));
}

/**
 * Withdraws a consent and signs the client out of the person's account: every session
 * the client holds for them ends, so its refresh and access tokens stop working at once.
 */
export async function revokeConsent(
  deps: Pick<CoreDeps, 'consents'> & EndSessionDeps,
  input: { userId: string; clientId: string; ctx: RequestContext },
): Promise<void> {
  if (input.clientId === FIRST_PARTY_CLIENT_ID) throw new NotFound('No consent for this client.');
  const removed = await deps.consents.revoke(input.userId, input.clientId);
  const sessions = (await deps.sessions.listActiveForUser(input.userId, deps.clock.now())).filter((s) => s.clientId === input.clientId);
  if (!removed && sessions.length === 0) throw new NotFound('No consent for this client.');
  for (const session of sessions)
    await endSession(deps, session, 'revoked', input.ctx, { by: 'consent_revoked', clientId: input.clientId });
  await deps.audit.record(
    auditEvent('consent_revoked', input.ctx, deps.clock.now(), {
      userId: input.userId,
      data: { clientId: input.clientId, sessions: sessions.map((s) => s.id) },
    }),
  );
}
