import type { AuditStore, Health, KeyStore, KnownDeviceStore, MfaStore, PasswordResetStore, SessionStore, UserStore } from '../ports.js';
import type { AuthorizationCodeStore, ClientStore, ConsentStore, RevokedClientTokenStore } from '../ports.js';
import type { RevocationStore } from '../ports.js';
import { createAuditStore } from './audit-store.js';
import { createRevocationStore } from './revocation-store.js';
import { createClientStore } from './client-store.js';
import { createAuthorizationCodeStore, createConsentStore, createRevokedClientTokenStore } from './oauth-store.js';
import { openDatabase } from './database.js';
import { createKeyStore } from './key-store.js';
import { createKnownDeviceStore } from './known-device-store.js';
import { createMfaStore } from './mfa-store.js';
import { createPasswordResetStore } from './password-reset-store.js';
import { migrateToLatest } from './migrations.js';
import { createSessionStore } from './session-store.js';
import { sqliteGroupCommit } from './sqlite-group-commit.js';
import { createUserStore } from './user-store.js';

export interface Stores {
  kind: 'sqlite' | 'postgres';
  users: UserStore;
  sessions: SessionStore;
  keys: KeyStore;
  audit: AuditStore;
  revocations: RevocationStore;
  mfa: MfaStore;
  passwordResets: PasswordResetStore;
  knownDevices: KnownDeviceStore;
  clients: ClientStore;
  authorizationCodes: AuthorizationCodeStore;
  consents: ConsentStore;
  revokedClientTokens: RevokedClientTokenStore;
  health: Health;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/** Every store over one database, chosen by URL. */
export function openStores(url: string): Stores {
  const { db, kind, health, migrationDb, close } = openDatabase(url);
  // SQLite has one connection: the writes of one turn of the event loop share a commit.
  const commits = kind === 'sqlite' ? sqliteGroupCommit(db) : undefined;
  return {
    kind,
    users: createUserStore(db),
    sessions: createSessionStore(db, kind, commits),
    keys: createKeyStore(db, kind),
    audit: createAuditStore(db, commits),
    revocations: createRevocationStore(db, kind),
    mfa: createMfaStore(db),
    passwordResets: createPasswordResetStore(db),
    knownDevices: createKnownDeviceStore(db),
    clients: createClientStore(db),
    authorizationCodes: createAuthorizationCodeStore(db),
    consents: createConsentStore(db),
    revokedClientTokens: createRevokedClientTokenStore(db),
    health,
    async migrate() {
      const target = migrationDb();
      try {
        return await migrateToLatest(target.db);
      } finally {
        await target.close();
      }
    },
    close,
  };
}
