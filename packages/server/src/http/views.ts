import type { SessionRecord, UserRecord } from '../ports.js';
import { deviceName } from '../core/sessions/device-name.js';

/** API.md: timestamps in bodies are ISO 8601 UTC strings. */
export const iso = (ms: number): string => new Date(ms).toISOString();

export function userView(user: UserRecord) {
  return { id: user.id, email: user.email, name: user.name, roles: user.roles, tenant_id: user.tenantId };
}

export function sessionView(session: SessionRecord, accessTokenExpiresAt: number) {
  return {
    id: session.id,
    type: session.type,
    createdAt: iso(session.createdAt),
    expiresAt: iso(session.expiresAt),
    idleExpiresAt: iso(session.idleExpiresAt),
    accessTokenExpiresAt: iso(accessTokenExpiresAt),
  };
}

export function deviceView(session: SessionRecord & { current: boolean }) {
  return {
    id: session.id,
    current: session.current,
    type: session.type,
    createdAt: iso(session.createdAt),
    lastUsedAt: iso(session.lastUsedAt),
    expiresAt: iso(session.expiresAt),
    ip: session.ip,
    userAgent: session.userAgent,
    device: deviceName(session.userAgent),
  };
}
