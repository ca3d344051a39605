/** Why a session ended (API.md "Tokens"): carried as `reason` in the server's 401 bodies. */
export type EndReason =
  | 'logout'
  | 'logout_all'
  | 'revoked'
  | 'admin'
  | 'blocked'
  | 'password_changed'
  | 'password_reset'
  | 'reuse_detected'
  | 'idle_timeout'
  | 'expired';

export const END_REASONS: readonly EndReason[] = [
  'logout',
  'logout_all',
  'revoked',
  'admin',
  'blocked',
  'password_changed',
  'password_reset',
  'reuse_detected',
  'idle_timeout',
  'expired',
];

/** API.md `user`. */
export interface User {
  id: string;
  email: string;
  name: string;
  roles: string[];
  tenant_id: string | null;
}

/** API.md `session`; timestamps are ISO 8601 strings as the server sends them. */
export interface Session {
  id: string;
  type: 'standard' | 'extended';
  createdAt: string;
  expiresAt: string;
  idleExpiresAt: string;
  accessTokenExpiresAt: string;
}

/** One row of `GET /auth/sessions`. */
export interface Device {
  id: string;
  current: boolean;
  type: 'standard' | 'extended';
  createdAt: string;
  lastUsedAt: string;
  expiresAt: string;
  ip: string;
  userAgent: string;
  device: string;
}

/** What the client knows about the signed-in person; `user` is null until the server has named them. */
export interface SessionState {
  user: User | null;
  session: Session;
}

/** The only thing ever written to `localStorage`. */
export interface Profile {
  id: string;
  name: string;
}

export const isEndReason = (value: unknown): value is EndReason => END_REASONS.includes(value as EndReason);
