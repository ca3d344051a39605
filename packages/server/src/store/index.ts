import type { AuditStore, Health, KeyStore, SessionStore, UserStore } from '../ports.js';
import { createAuditStore } from './audit-store.js';
import { openDatabase } from './database.js';
import { createKeyStore } from './key-store.js';
import { migrateToLatest } from './migrations.js';
import { createSessionStore } from './session-store.js';
import { createUserStore } from './user-store.js';

export interface Stores {
  kind: 'sqlite' | 'postgres';
  users: UserStore;
  sessions: SessionStore;
  keys: KeyStore;
  audit: AuditStore;
  health: Health;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
}

/** Every store over one database, chosen by URL. */
export function openStores(url: string): Stores {
  const { db, kind, health, migrationDb, close } = openDatabase(url);
  return {
    kind,
    users: createUserStore(db),
    sessions: createSessionStore(db),
    keys: createKeyStore(db, kind),
    audit: createAuditStore(db),
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
