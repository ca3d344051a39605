import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CamelCasePlugin,
  Kysely,
  PostgresDialect,
  SqliteDialect,
  sql,
  type PostgresPool,
  type PostgresPoolClient,
  type SqliteDatabase,
  type SqliteStatement,
} from 'kysely';
import pg from 'pg';
import type { Health } from '../ports.js';
import type { Database } from './schema.js';
import { backgroundCheckpoints } from './sqlite-checkpoints.js';
import { databaseUnavailable, isDatabaseUnavailable } from './unavailable.js';

export interface OpenDatabase {
  db: Kysely<Database>;
  kind: 'sqlite' | 'postgres';
  health: Health;
  /** A handle to run migrations with (and close afterwards). */
  migrationDb(): { db: Kysely<any>; close(): Promise<void> };
  close(): Promise<void>;
}

/** Connections per node; N nodes need N times this below PostgreSQL's max_connections. */
export const POSTGRES_POOL_MAX = 10;

/**
 * Translates "the database is unreachable" at the edge, once: every failure to get a
 * connection, and every query failing for a transient reason, becomes
 * TemporarilyUnavailable (503). A client whose connection broke is destroyed on release
 * instead of going back to the pool.
 */
function guardPool(pool: pg.Pool): PostgresPool {
  return {
    async connect() {
      let client: pg.PoolClient;
      try {
        client = await pool.connect();
      } catch (error) {
        throw databaseUnavailable(error);
      }
      let broken = false;
      return {
        query: ((...args: [any, any?]) => {
          const result = (client.query as (...a: unknown[]) => unknown)(...args);
          if (!(result instanceof Promise)) return result;
          return result.catch((error: unknown) => {
            if (!isDatabaseUnavailable(error)) throw error;
            broken = true;
            throw databaseUnavailable(error);
          });
        }) as PostgresPoolClient['query'],
        release: () => client.release(broken ? true : undefined),
      };
    },
    end: () => pool.end(),
  };
}

/** How long a statement waits for a lock another SQLite connection holds. */
const SQLITE_BUSY_TIMEOUT_MS = 1500;

/** Distinct SQL texts kept compiled; the queries Latchkey builds number far fewer. */
const STATEMENT_CACHE_SIZE = 500;

/**
 * Kysely prepares every query it runs, and better-sqlite3 compiles SQL on every
 * `prepare`; a statement can be run again and again, so keep the compiled ones by SQL
 * text (least recently used out first). Kysely runs one query at a time on its single
 * SQLite connection, so a cached statement is never in use twice at once.
 */
function withStatementCache(sqlite: SQLite.Database): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  const busy = busyBackoff(sqlite);
  return {
    prepare(text) {
      let statement = cache.get(text);
      if (statement) {
        cache.delete(text);
      } else {
        statement = guardStatement(sqlite.prepare(text), busy);
        if (cache.size >= STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      cache.set(text, statement);
      return statement;
    },
    close: () => sqlite.close(),
  };
}

/** After a statement waited out the busy timeout, the next ones do not wait at all for this long. */
const SQLITE_BUSY_BACKOFF_MS = 1000;

interface BusyBackoff {
  /** Before each statement: ends a back-off that has run its time. */
  check(): void;
  /** A failed statement's error, translated; a lock-out starts a back-off. */
  failed(error: unknown): unknown;
}

/**
 * The driver waits for a lock with the event loop stopped, so requests queued behind a
 * statement that waited out the busy timeout would each wait it again, one after the
 * other (three concurrent writes: 503 after 1.5, 3 and 4.5 s). Once one statement has
 * waited in vain, the ones after it do not wait (busy_timeout 0) until a second has
 * passed without another lock-out; then the next one waits again. Every request gets
 * its answer within the 2 s of API.md, and writes go through again as soon as the
 * lock is released.
 */
function busyBackoff(sqlite: SQLite.Database): BusyBackoff {
  let until = 0;
  return {
    check() {
      if (until !== 0 && Date.now() >= until) {
        until = 0;
        sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      }
    },
    failed(error) {
      if (!isDatabaseUnavailable(error)) return error;
      if (until === 0) sqlite.pragma('busy_timeout = 0');
      until = Date.now() + SQLITE_BUSY_BACKOFF_MS;
      return databaseUnavailable(error);
    },
  };
}

/**
 * SQLite's counterpart of guardPool: a statement refused because another connection
 * held the lock past the busy timeout (SQLITE_BUSY, SQLITE_LOCKED) fails with
 * TemporarilyUnavailable (503), as PostgreSQL's lock and statement timeouts do.
 * BEGIN and COMMIT are statements too, so a transaction that cannot start or commit
 * is covered; Kysely rolls back what it began.
 */
function guardStatement(statement: SQLite.Statement, busy: BusyBackoff): SqliteStatement {
  const guarded = <T>(run: () => T): T => {
    busy.check();
    try {
      return run();
    } catch (error) {
      throw busy.failed(error);
    }
  };
  return {
    reader: statement.reader,
    all: (parameters) => guarded(() => statement.all(parameters)),
    run: (parameters) => guarded(() => statement.run(parameters)),
    // A generator fails while it is read, so it is guarded around the reading.
    *iterate(parameters) {
      busy.check();
      try {
        yield* statement.iterate(parameters);
      } catch (error) {
        throw busy.failed(error);
      }
    },
  };
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
    // API.md: a request the database cannot serve answers 503 within 2 s; a write waits
    // at most this long for another process's lock (with the event loop stopped: the
    // driver is synchronous) before it fails as TemporarilyUnavailable.
    sqlite.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
    const checkpoints = path === ':memory:' ? null : backgroundCheckpoints(path, sqlite);
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }), plugins });
    return {
      db,
      kind: 'sqlite',
      health: { check: async () => void sqlite.prepare('select 1').get() },
      migrationDb: () => ({ db, close: async () => {} }),
      close: async () => {
        await checkpoints?.close();
        await db.destroy();
      },
    };
  }
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
    const pool = new pg.Pool({
      connectionString: url,
      max: POSTGRES_POOL_MAX,
      // API.md: a request that needs an unreachable database answers 503 within 2 s.
      // Waiting for a connection (new or pooled) and any one statement are bounded
      // below that; the server also drops transactions a dead node left open.
      connectionTimeoutMillis: 1500,
      query_timeout: 1500,
      statement_timeout: 1500,
      idle_in_transaction_session_timeout: 10_000,
      keepAlive: true,
      // Connections stay open once made: starting a backend costs PostgreSQL a fork and
      // the request that waits for it up to the connect time-out on a busy host.
      idleTimeoutMillis: 0,
    });
    // An idle client losing its server must not crash the process; the next query reconnects.
    pool.on('error', () => {});
    // Open the pool's connections now, not during the first burst of requests.
    for (let i = 0; i < POSTGRES_POOL_MAX; i++)
      pool.connect().then(
        (client) => client.release(),
        () => {},
      );
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: guardPool(pool) }), plugins });
    return {
      db,
      kind: 'postgres',
      health: { check: async () => void (await sql`select 1`.execute(db)) },
      migrationDb: () => {
        // Migrations run on a connection of their own without the request timeouts: a
        // node waits for another node's migrations behind PostgreSQL's advisory lock.
        const own = new pg.Pool({ connectionString: url, max: 2, connectionTimeoutMillis: 10_000 });
        own.on('error', () => {});
        const migrator = new Kysely<any>({ dialect: new PostgresDialect({ pool: own }), plugins });
        return { db: migrator, close: () => migrator.destroy() };
      },
      close: async () => {
        await db.destroy();
        // Kysely ends the pool only if it ran a query; the warmed-up connections of one
        // that never did (a CLI command such as `migrate`) would keep the process alive.
        if (!pool.ended) await pool.end();
      },
    };
  }
  throw new Error(`unsupported database URL: ${url.replace(/\/\/[^@]*@/, '//***@')}`);
}
