import type { RequestContext, SessionRecord, UserRecord } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import { FIRST_PARTY_CLIENT_ID, FIRST_PARTY_SCOPE } from '../config.js';
import type { CoreDeps } from '../deps.js';
import { timeOrderedId } from '../random.js';
import { issueAccessToken, type IssuedAccessToken } from '../tokens/access-token.js';
import { generateOpaqueToken, hashToken, REFRESH_TOKEN_PREFIX } from '../tokens/opaque-token.js';
import { absoluteTtl, nextIdleExpiry } from './lifetime.js';

/** What a sign-in or a refresh hands to the transport. */
export interface SessionGrant {
  user: UserRecord;
  session: SessionRecord;
  accessToken: IssuedAccessToken;
  refreshToken: string;
}

export type StartSessionDeps = Pick<CoreDeps, 'sessions' | 'keyRing' | 'clock' | 'config' | 'audit'>;

export async function startSession(
  deps: StartSessionDeps,
  input: { user: UserRecord; remember: boolean; ctx: RequestContext; clientId?: string; scope?: string },
): Promise<SessionGrant> {
  const now = deps.clock.now();
  const type = input.remember ? 'extended' : 'standard';
  const expiresAt = now + absoluteTtl(type, deps.config) * 1000;
  const session: SessionRecord = {
    id: timeOrderedId(now),
    userId: input.user.id,
    type,
    clientId: input.clientId ?? FIRST_PARTY_CLIENT_ID,
    scope: input.scope ?? FIRST_PARTY_SCOPE,
    createdAt: now,
    expiresAt,
    idleExpiresAt: nextIdleExpiry({ expiresAt }, now, deps.config.idleTtl),
    lastUsedAt: now,
    ip: input.ctx.ip,
    userAgent: input.ctx.userAgent.slice(0, 512),
    refreshGeneration: 0,
    refreshParentId: null,
    endedAt: null,
    endReason: null,
  };
  const refreshToken = generateOpaqueToken(REFRESH_TOKEN_PREFIX);
  await deps.sessions.create(session, {
    id: timeOrderedId(now),
    hash: hashToken(refreshToken),
    generation: 1,
    createdAt: now,
    expiresAt: session.idleExpiresAt,
  });
  const accessToken = await issueAccessToken(deps, input.user, session);
  await deps.audit.record(
    auditEvent('login_succeeded', input.ctx, now, {
      userId: input.user.id,
      sessionId: session.id,
      data: { type, clientId: session.clientId },
    }),
  );
  return { user: input.user, session, accessToken, refreshToken };
}
