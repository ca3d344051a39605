/** Table shapes as Kysely sees them (camelCase; the CamelCasePlugin maps to snake_case). */
export interface UsersTable {
  id: string;
  email: string;
  emailNormalized: string;
  name: string;
  passwordHash: string;
  roles: string;
  tenantId: string | null;
  status: string;
  createdAt: number;
  updatedAt: number;
}

export interface SessionsTable {
  id: string;
  userId: string;
  type: string;
  clientId: string;
  scope: string;
  createdAt: number;
  expiresAt: number;
  idleExpiresAt: number;
  lastUsedAt: number;
  ip: string;
  userAgent: string;
  refreshGeneration: number;
  refreshParentId: string | null;
  endedAt: number | null;
  endReason: string | null;
}

export interface RefreshTokensTable {
  id: string;
  sessionId: string;
  hash: string;
  generation: number;
  createdAt: number;
  expiresAt: number;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  publicJwk: string | null;
  privateJwkEncrypted: string;
  createdAt: number;
  retiredAt: number | null;
  publishUntil: number | null;
}

export interface AuditEventsTable {
  id: string;
  type: string;
  severity: string;
  userId: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  at: number;
  data: string;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refreshTokens: RefreshTokensTable;
  signingKeys: SigningKeysTable;
  auditEvents: AuditEventsTable;
}
