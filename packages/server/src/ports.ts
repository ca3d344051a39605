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
   * Retires every key still signing that orders before `keep` by (createdAt, kid), so
   * that two nodes rotating at once leave the newest key signing, never none.
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
