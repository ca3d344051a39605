import type {
  ActivityWindow,
  AuditSink,
  AuthorizationCodeStore,
  ClientStore,
  Clock,
  ConsentStore,
  KnownDeviceStore,
  Mailer,
  MfaStore,
  PasswordHasher,
  PasswordResetStore,
  RevokedClientTokenStore,
  SessionStore,
  ThrottleStore,
  UserStore,
} from '../ports.js';
import type { RevocationFeedSignal, RevocationStore } from '../ports.js';
import type { CoreConfig } from './config.js';
import type { KeyRing } from './keys/key-ring.js';
import type { SessionLiveness } from './sessions/session-liveness.js';
import type { AccessTokenVerifier } from './tokens/access-token.js';

/**
 * Everything the core can be given. Each operation declares the narrow `Pick` it uses,
 * so a test builds only what the rule under test touches.
 */
export interface CoreDeps {
  users: UserStore;
  sessions: SessionStore;
  /** Per-request session checks without a database read each time (see SessionLiveness). */
  liveness: SessionLiveness;
  audit: AuditSink;
  throttle: ThrottleStore;
  hasher: PasswordHasher;
  clock: Clock;
  config: CoreConfig;
  keyRing: KeyRing;
  verifier: AccessTokenVerifier;
  commonPasswords: ReadonlySet<string>;
  /** The revocation feed's log, and the signal that wakes its streams. */
  revocations: RevocationStore;
  revocationSignal: RevocationFeedSignal;
  clients: ClientStore;
  authorizationCodes: AuthorizationCodeStore;
  consents: ConsentStore;
  revokedClientTokens: RevokedClientTokenStore;
  mfa: MfaStore;
  /** Seals TOTP secrets and peppers backup-code hashes (derived from the master secret). */
  mfaKey: Buffer;
  passwordResets: PasswordResetStore;
  mailer: Mailer;
  knownDevices: KnownDeviceStore;
  activity: ActivityWindow;
}
