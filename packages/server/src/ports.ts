/**
 * The interfaces the core needs from the outside world. Each is shaped by the domain
 * question it answers, not by SQL: adapters in `store/` and `cache/` implement them.
 */
import type { EndReason } from './core/errors.js';

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
}

export type UserStatus = 'active' | 'blocked';

export interface UserRecord {
  id: string;
  email: string;
  emailNormalized: string;
  name: string;
  passwordHash: string;
  roles: string[];
  tenantId: string | null;
  status: UserStatus;
  createdAt: number;
  updatedAt: number;
}

export interface UserPage {
  users: UserRecord[];
  next: string | null;
}

export interface UserStore {
  /** Inserts the user unless the normalized email exists; never throws on that race. */
  create(user: UserRecord): Promise<'created' | 'email_taken'>;
  findById(id: string): Promise<UserRecord | null>;
  findByEmail(emailNormalized: string): Promise<UserRecord | null>;
  setPasswordHash(id: string, passwordHash: string, now: number): Promise<void>;
  setStatus(id: string, status: UserStatus, now: number): Promise<boolean>;
  /** Users whose email or name contains `query`, ordered by id, after `cursor`. */
  search(query: string, cursor: string | null, limit: number): Promise<UserPage>;
}

export type SessionType = 'standard' | 'extended';

export interface SessionRecord {
  id: string;
  userId: string;
  type: SessionType;
  clientId: string;
  scope: string;
  createdAt: number;
  /** Absolute end: never moves. */
  expiresAt: number;
  /** Moves on each refresh. */
  idleExpiresAt: number;
  lastUsedAt: number;
  ip: string;
  userAgent: string;
  /** Generation of the refresh token currently allowed to mint successors (0: none used yet). */
  refreshGeneration: number;
  /** Id of that token; null before the first refresh. */
  refreshParentId: string | null;
  endedAt: number | null;
  endReason: EndReason | null;
}

export interface RefreshTokenRecord {
  id: string;
  sessionId: string;
  hash: string;
  generation: number;
  createdAt: number;
  expiresAt: number;
}

/** A successor token to insert together with a winning claim. */
export interface NewRefreshToken {
  id: string;
  hash: string;
  generation: number;
  createdAt: number;
  expiresAt: number;
}

export interface SessionStore {
  /** Creates the session with its first refresh token (generation 1). */
  create(session: SessionRecord, first: NewRefreshToken): Promise<void>;
  findById(id: string): Promise<SessionRecord | null>;
  findRefreshToken(hash: string): Promise<RefreshTokenRecord | null>;
  /** The refresh token with its session, in one read (the refresh path); null when either is gone. */
  findRefreshTokenWithSession(hash: string): Promise<{ token: RefreshTokenRecord; session: SessionRecord } | null>;
  /**
   * Atomically: if the session is active and its refresh generation is
   * `token.generation - 1`, make `token` the parent (generation = token.generation),
   * move `idleExpiresAt`/`lastUsedAt`, and insert `successor`. False when another
   * request changed the session first.
   */
  claimRefreshToken(input: {
    sessionId: string;
    token: RefreshTokenRecord;
    successor: NewRefreshToken;
    now: number;
    idleExpiresAt: number;
  }): Promise<boolean>;
  /**
   * Atomically: if the session is active and `token` is still its parent, insert
   * another successor (a retry or a parallel tab) and move the idle expiry.
   */
  reissueRefreshToken(input: {
    sessionId: string;
    token: RefreshTokenRecord;
    successor: NewRefreshToken;
    now: number;
    idleExpiresAt: number;
  }): Promise<boolean>;
  /** Ends the session if it is still active. True when this call ended it. */
  end(id: string, reason: EndReason, now: number): Promise<boolean>;
  /** Ends every active session of the user except `exceptId`; returns the ended ids. */
  endAllForUser(userId: string, reason: EndReason, now: number, exceptId?: string): Promise<string[]>;
  /** Sessions not ended and not past their absolute or idle end. */
  listActiveForUser(userId: string, now: number): Promise<SessionRecord[]>;
  /** Sessions that ended (or lapsed) after `since`, for rebuilding denylists. */
  listEndedSince(since: number): Promise<Array<{ id: string; endedAt: number }>>;
  /** Counts for metrics: active sessions by type. */
  countActive(now: number): Promise<{ standard: number; extended: number }>;
  /**
   * Deletes refresh tokens that expired, and sessions (with their tokens) that ended or
   * lapsed before `endedBefore`. Returns how many rows went.
   */
  purge(now: number, endedBefore: number): Promise<number>;
}

export type KeyAlgorithm = 'RS256' | 'ES256' | 'EdDSA' | 'HS256';

export interface StoredKey {
  kid: string;
  alg: KeyAlgorithm;
  /** Public JWK as JSON (null for symmetric keys, which are never published). */
  publicJwk: string | null;
  /** The private (or secret) JWK, encrypted with the master secret. */
  privateJwkEncrypted: string;
  createdAt: number;
  /** When the key stopped signing; null while it is the signing key. */
  retiredAt: number | null;
  /** After this, no token signed by it can be valid: drop it from JWKS. */
  publishUntil: number | null;
}

export interface KeyStore {
  list(): Promise<StoredKey[]>;
  insert(key: StoredKey): Promise<void>;
  /**
   * Retires every key still signing that orders before `keep` or before any other key
   * still signing, by (createdAt, kid), so that two nodes rotating at once leave exactly
   * the newest key signing, never none and never two.
   */
  retireOlderThan(keep: { kid: string; createdAt: number }, retiredAt: number, publishUntil: number): Promise<void>;
  /**
   * Inserts `key` only if no key is signing, serialised across nodes: nodes starting
   * together on an empty database create one first key, not one each. True if inserted.
   */
  insertIfNoneSigning(key: StoredKey): Promise<boolean>;
  deleteExpired(now: number): Promise<number>;
}

export type AuditSeverity = 'info' | 'warning' | 'critical';

export interface AuditEvent {
  type: string;
  severity: AuditSeverity;
  userId: string | null;
  sessionId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  at: number;
  data: Record<string, unknown>;
}

export interface AuditRecord extends AuditEvent {
  id: string;
}

export interface AuditFilter {
  userId?: string;
  type?: string;
  cursor?: string | null;
  limit: number;
}

export interface AuditStore {
  append(event: AuditEvent): Promise<void>;
  /** Newest first; `next` continues with older events. */
  query(filter: AuditFilter): Promise<{ events: AuditRecord[]; next: string | null }>;
}

/** Where audit events go besides the store: the structured log, metrics, alerts. */
export interface AuditSink {
  record(event: AuditEvent): Promise<void>;
}

export interface ThrottleState {
  failures: number;
  lockedUntil: number;
}

/** Counters behind login back-off; memory for one node, Redis for many. */
export interface ThrottleStore {
  get(key: string): Promise<ThrottleState>;
  /** Adds one failure (kept for `ttlMs`), stores `lockedUntil` computed from the new count. */
  recordFailure(key: string, ttlMs: number, lockFor: (failures: number) => number): Promise<ThrottleState>;
  reset(key: string): Promise<void>;
}

/** What a node hears on the revocation bus. */
export interface RevocationListener {
  /** Sessions that ended on some node (this one included). */
  ended(sessionIds: string[]): void;
  /** The bus lost its connection: notices may be missed until `resumed`. */
  interrupted(): void;
  /** The bus hears notices again; `since` is the last moment it was known to hear them (epoch ms). */
  resumed(since: number): void;
}

/**
 * Tells every node that sessions ended: Redis pub/sub across a cluster, in-process on
 * one node. Delivery is at most once, so listeners are told about gaps and catch up
 * from the database, which stays the source of truth.
 */
export interface RevocationBus {
  publish(sessionIds: string[]): Promise<void>;
  subscribe(listener: RevocationListener): void;
  close(): Promise<void>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
}

export interface Health {
  /** Resolves when the dependency answers; rejects otherwise. */
  check(): Promise<void>;
}

export interface Logger {
  info(obj: Record<string, unknown>, msg?: string): void;
  warn(obj: Record<string, unknown>, msg?: string): void;
  error(obj: Record<string, unknown>, msg?: string): void;
}

/** Per-request facts the core records in audit events and sessions. */
export interface RequestContext {
  ip: string;
  userAgent: string;
  requestId: string;
}

/** A rule of the revocation feed (API.md "Revocation feed"). */
export type RevocationType = 'session' | 'user' | 'jti';

export interface RevocationEvent {
  type: RevocationType;
  /** The session id, user id or token id (`jti`), by `type`. */
  id: string;
  /** Epoch ms. A `user` rule rejects that user's tokens issued before it. */
  at: number;
  /** Epoch ms after which the rule can be forgotten: every token it affects has expired. */
  until: number;
}

export interface RevocationRecord extends RevocationEvent {
  /** Position in the log: a non-negative integer, increasing in commit order. */
  cursor: number;
}

/**
 * The durable log behind the revocation feed. A reader that has seen cursor N will never
 * later see a new event with a cursor below N, so a follower resuming after N misses nothing.
 */
export interface RevocationStore {
  append(events: RevocationEvent[]): Promise<void>;
  /**
   * Up to `limit` events after `after` (all when null), oldest first. When `after` lies
   * beyond the end of the log (a database restored or replaced), from the start.
   */
  listAfter(after: number | null, limit: number): Promise<RevocationRecord[]>;
  /** Deletes events whose `until` is before `before`; returns how many. */
  purge(before: number): Promise<number>;
}

/** Wakes the revocation feed's open streams: in-process on one node, pub/sub across nodes. */
export interface RevocationFeedSignal {
  /** Events were appended on this node. */
  notify(): void;
  /** `listener` runs whenever events were appended (on any node); returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
}

/** OAuth 2.0 grant types a client may be registered for (RFC 6749 §4, §6). */
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

/** A registered OAuth client (RFC 6749 §2). */
export interface ClientRecord {
  id: string;
  name: string;
  /** SHA-256 of the secret (base64url); null for public clients (RFC 6749 §2.1). */
  secretHash: string | null;
  redirectUris: string[];
  grantTypes: GrantType[];
  /** The scopes this client may ask for. */
  scopes: string[];
  public: boolean;
  /** First-party clients are the operator's own apps: no consent page. */
  firstParty: boolean;
  createdAt: number;
}

export interface ClientStore {
  /** Inserts the client unless the id is taken; never throws on that race. */
  create(client: ClientRecord): Promise<'created' | 'id_taken'>;
  findById(id: string): Promise<ClientRecord | null>;
}

/** An authorization code (RFC 6749 §4.1.2), kept only as its hash. */
export interface AuthorizationCodeRecord {
  hash: string;
  clientId: string;
  userId: string;
  /** The browser session that approved the request. */
  browserSessionId: string;
  /** The type the session started from this code gets. */
  sessionType: SessionType;
  redirectUri: string;
  /** Whether the request named redirect_uri (then the token request must repeat it, RFC 6749 §4.1.3). */
  redirectUriGiven: boolean;
  scope: string;
  nonce: string | null;
  codeChallenge: string | null;
  codeChallengeMethod: 'S256' | null;
  /** When the person last signed in (OIDC `auth_time`), epoch ms. */
  authTime: number;
  createdAt: number;
  expiresAt: number;
  consumedAt: number | null;
  /** The session the code was exchanged for. */
  issuedSessionId: string | null;
  replayedAt: number | null;
}

export interface AuthorizationCodeStore {
  insert(code: AuthorizationCodeRecord): Promise<void>;
  /**
   * Atomically marks the code used. `first` is true for the one call that did it; every
   * later call gets the same record with `first` false. Null for an unknown code.
   */
  consume(hash: string, now: number): Promise<{ first: boolean; code: AuthorizationCodeRecord } | null>;
  /** Records the session a code was exchanged for; true when a replay was seen before. */
  attachSession(hash: string, sessionId: string): Promise<{ replayed: boolean }>;
  /** Records a replay; returns the session the code was exchanged for, if any yet. */
  markReplayed(hash: string, now: number): Promise<string | null>;
  /** Deletes codes that expired before `before`. */
  purge(before: number): Promise<number>;
}

/** What a person allowed a third-party client (OIDC Core §3.1.2.4). */
export interface ConsentRecord {
  userId: string;
  clientId: string;
  scopes: string[];
  createdAt: number;
  updatedAt: number;
}

export interface ConsentStore {
  find(userId: string, clientId: string): Promise<ConsentRecord | null>;
  /** Creates or replaces the consent of the user for the client. */
  save(consent: ConsentRecord): Promise<void>;
  /** True when a consent was removed. */
  revoke(userId: string, clientId: string): Promise<boolean>;
  listForUser(userId: string): Promise<ConsentRecord[]>;
}

/**
 * Revoked client-credentials access tokens (RFC 7009): they have no session to end, so
 * their `jti` is remembered until the token would have expired anyway.
 */
export interface RevokedClientTokenStore {
  add(jti: string, until: number): Promise<void>;
  has(jti: string, now: number): Promise<boolean>;
  purge(now: number): Promise<number>;
}

/** A user's TOTP enrolment. Secrets are sealed with a key derived from the master secret. */
export interface TotpRecord {
  userId: string;
  /** The enabled secret; null until enabled. */
  secretSealed: string | null;
  /** A secret from setup waiting for its first code; null otherwise. */
  pendingSecretSealed: string | null;
  enabledAt: number | null;
  /** The last 30 s step a code was accepted for: no step is accepted twice. */
  lastUsedStep: number;
}

export interface MfaChallenge {
  userId: string;
  remember: boolean;
  /** The transport the sign-in asked for, delivered once the code is right. */
  transport: string;
  createdAt: number;
  expiresAt: number;
}

/** TOTP enrolments, backup codes and the pending second steps of sign-ins. */
export interface MfaStore {
  findTotp(userId: string): Promise<TotpRecord | null>;
  /** Stores a new pending secret (setup); an enabled secret is left as it is. */
  savePendingTotp(userId: string, pendingSecretSealed: string, now: number): Promise<void>;
  /**
   * Atomically: if `pendingSecretSealed` is still the pending secret, makes it the
   * enabled one, records `step` as used and replaces the backup codes. False otherwise.
   */
  enableTotp(input: {
    userId: string;
    pendingSecretSealed: string;
    step: number;
    backupCodeHashes: string[];
    now: number;
  }): Promise<boolean>;
  /** Removes the enrolment and every backup code. */
  disableTotp(userId: string): Promise<void>;
  /** Atomically records `step` as used when it is later than the last used one. False: replay. */
  useTotpStep(userId: string, step: number): Promise<boolean>;
  /** Atomically marks an unused backup code used. False when unknown or already used. */
  useBackupCode(userId: string, hash: string, now: number): Promise<boolean>;
  createChallenge(hash: string, challenge: MfaChallenge): Promise<void>;
  /** A challenge not yet consumed (it may have expired: the caller checks). */
  findChallenge(hash: string): Promise<MfaChallenge | null>;
  /** Atomically consumes an unconsumed, unexpired challenge. False when another request did. */
  consumeChallenge(hash: string, now: number): Promise<boolean>;
  /** Deletes challenges and pending setups past their life. */
  purge(now: number): Promise<number>;
}

/** Single-use password reset tokens, stored only as hashes. */
export interface PasswordResetStore {
  create(input: { hash: string; userId: string; createdAt: number; expiresAt: number }): Promise<void>;
  /** Atomically marks an unused, unexpired token used and returns its user; null otherwise. */
  consume(hash: string, now: number): Promise<string | null>;
  /** Invalidates every outstanding token of the user (after a reset or a password change). */
  revokeForUser(userId: string, now: number): Promise<void>;
  purge(now: number): Promise<number>;
}

/** What a user's past sign-ins looked like, for spotting a device never seen before. */
export interface KnownDeviceStore {
  /**
   * Records a sign-in from `device` (a user-agent family) on `network` (an IP prefix) and
   * says which of them had been seen for this user before, and whether anything had.
   */
  remember(
    userId: string,
    device: string,
    network: string,
    now: number,
  ): Promise<{ deviceSeen: boolean; networkSeen: boolean; anySeen: boolean }>;
}

/** Distinct members per key over a sliding window (accounts failing per IP); memory for one node, Redis for many. */
export interface ActivityWindow {
  /** Adds `member` under `key` for `windowMs`; returns how many distinct members the key holds now. */
  addDistinct(key: string, member: string, windowMs: number): Promise<number>;
}

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

/** Outgoing mail: SMTP when configured, the log in development. */
export interface Mailer {
  send(message: MailMessage): Promise<void>;
}
