import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { CamelCasePlugin, Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Health } from '../ports.js';
import type { Database } from './schema.js';

export interface OpenDatabase {
  db: Kysely<Database>;
  kind: 'sqlite' | 'postgres';
  health: Health;
  close(): Promise<void>;
}

/**
 * Opens `sqlite:<path>`, `sqlite::memory:` or `postgres://...`. SQLite runs in WAL mode
 * with a busy timeout; PostgreSQL bigints come back as numbers (epoch ms fit easily).
 */
export function openDatabase(url: string): OpenDatabase {
  const plugins = [new CamelCasePlugin()];
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SQLite(path);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }), plugins });
    return {
      db,
      kind: 'sqlite',
      health: { check: async () => void sqlite.prepare('select 1').get() },
      close: () => db.destroy(),
    };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: 2000,
      statement_timeout: 5000,
      query_timeout: 5000,
    });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins });
    return {
      db,
      kind: 'postgres',
      health: { check: async () => void (await sql`select 1`.execute(db)) },
      close: () => db.destroy(),
    };
  }
  throw new Error(`unsupported database URL: ${url.replace(/\/\/[^@]*@/, '//***@')}`);
}
