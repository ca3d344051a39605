import type { Generated } from 'kysely';

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

export interface MfaTotpTable {
  userId: string;
  secretSealed: string | null;
  pendingSecretSealed: string | null;
  pendingCreatedAt: number | null;
  enabledAt: number | null;
  lastUsedStep: number;
  updatedAt: number;
}

export interface MfaBackupCodesTable {
  userId: string;
  hash: string;
  usedAt: number | null;
}

export interface MfaChallengesTable {
  hash: string;
  userId: string;
  remember: number;
  transport: string;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
}

export interface PasswordResetTokensTable {
  hash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
  usedAt: number | null;
}

export interface KnownDevicesTable {
  userId: string;
  kind: string;
  value: string;
  firstSeen: number;
  lastSeen: number;
}

export interface OAuthClientsTable {
  id: string;
  name: string;
  secretHash: string | null;
  /** JSON arrays. */
  redirectUris: string;
  grantTypes: string;
  scopes: string;
  /** 0 or 1 (SQLite has no boolean). */
  isPublic: number;
  firstParty: number;
  createdAt: number;
}

export interface OAuthCodesTable {
  hash: string;
  clientId: string;
  userId: string;
  browserSessionId: string;
  sessionType: string;
  redirectUri: string;
  redirectUriGiven: number;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  authTime: number;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  issuedSessionId: string | null;
  replayedAt: number | null;
}

export interface OAuthConsentsTable {
  userId: string;
  clientId: string;
  scopes: string;
  createdAt: number;
  updatedAt: number;
}

export interface OAuthRevokedTokensTable {
  jti: string;
  until: number;
}

/** The revocation feed's log; `seq` is generated (the feed cursor). */
export interface RevocationsTable {
  seq: Generated<number>;
  type: string;
  subject: string;
  at: number;
  until: number;
}

export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refreshTokens: RefreshTokensTable;
  signingKeys: SigningKeysTable;
  auditEvents: AuditEventsTable;
  revocations: RevocationsTable;
  mfaTotp: MfaTotpTable;
  mfaBackupCodes: MfaBackupCodesTable;
  mfaChallenges: MfaChallengesTable;
  passwordResetTokens: PasswordResetTokensTable;
  knownDevices: KnownDevicesTable;
  oauthClients: OAuthClientsTable;
  oauthCodes: OAuthCodesTable;
  oauthConsents: OAuthConsentsTable;
  oauthRevokedTokens: OAuthRevokedTokensTable;
}
