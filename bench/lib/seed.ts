import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import pg from 'pg';
import { normalizeEmail } from '../../packages/server/src/core/accounts/email.js';
import { generateOpaqueToken, hashToken, REFRESH_TOKEN_PREFIX } from '../../packages/server/src/core/tokens/opaque-token.js';
import type { SessionRecord } from '../../packages/server/src/ports.js';
import { openStores } from '../../packages/server/src/store/index.js';
import { BENCH_EMAIL } from './latchkey.js';

const DAY = 86_400_000;
const BATCH = 50_000;

export function databaseUrlOf(server: { env: Record<string, string>; dataDir: string }): string {
  return server.env.LATCHKEY_DATABASE_URL ?? `sqlite:${join(server.dataDir, 'latchkey.db')}`;
}

/**
 * Sessions of the bench user issued to an OAuth client, with refresh tokens we know,
 * written through Latchkey's own session store (so they are exactly what it writes).
 */
export async function seedOauthSessions(
  server: { env: Record<string, string>; dataDir: string },
  options: { clientId: string; count: number; scope?: string },
): Promise<string[]> {
  const stores = openStores(databaseUrlOf(server));
  try {
    const user = await stores.users.findByEmail(normalizeEmail(BENCH_EMAIL));
    if (!user) throw new Error('bench user missing');
    const now = Date.now();
    const tokens: string[] = [];
    for (let i = 0; i < options.count; i++) {
      const session: SessionRecord = {
        id: randomUUID(),
        userId: user.id,
        type: 'standard',
        clientId: options.clientId,
        scope: options.scope ?? '',
        createdAt: now,
        expiresAt: now + DAY,
        idleExpiresAt: now + DAY,
        lastUsedAt: now,
        ip: '127.0.0.1',
        userAgent: 'bench',
        refreshGeneration: 0,
        refreshParentId: null,
        endedAt: null,
        endReason: null,
      };
      const token = generateOpaqueToken(REFRESH_TOKEN_PREFIX);
      await stores.sessions.create(session, {
        id: randomUUID(),
        hash: hashToken(token),
        generation: 1,
        createdAt: now,
        expiresAt: now + DAY,
      });
      tokens.push(token);
    }
    return tokens;
  } finally {
    await stores.close();
  }
}

const SESSION_COLUMNS =
  'id, user_id, type, client_id, scope, created_at, expires_at, idle_expires_at, last_used_at, ip, user_agent, refresh_generation, refresh_parent_id, ended_at, end_reason';
const TOKEN_COLUMNS = 'id, session_id, hash, generation, created_at, expires_at';

/**
 * `count` live sessions of other users, each with one refresh token, inserted in bulk by
 * the database itself (set-based SQL, batches of 50k): 10^6 take seconds, not the hours
 * 10^6 logins would. Ids and hashes are random like real ones, so indexes are as sparse.
 */
export async function seedFillerSessions(databaseUrl: string, count: number, log: (line: string) => void): Promise<void> {
  const now = Date.now();
  const started = Date.now();
  if (databaseUrl.startsWith('sqlite:')) {
    const db = new SQLite(databaseUrl.slice('sqlite:'.length));
    db.pragma('journal_mode = WAL');
    // Seeding only (the server opens its own connection): a cache big enough for the
    // random-key indexes, and no syncs until the final checkpoint.
    db.pragma('synchronous = OFF');
    db.pragma('cache_size = -1000000');
    for (let done = 0; done < count; done += BATCH) {
      const n = Math.min(BATCH, count - done);
      db.transaction(() => {
        db.prepare(
          `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${n})
          INSERT INTO sessions (${SESSION_COLUMNS})
          SELECT lower(hex(randomblob(16))), 'seed-user-' || (abs(random()) % 100000), 'standard', 'latchkey', 'openid profile email',
                 ${now}, ${now + DAY}, ${now + DAY}, ${now}, '127.0.0.1', 'bench-seed', 0, NULL, NULL, NULL FROM n`,
        ).run();
      })();
      if (done % 200_000 === 0 && done) log(`    sessions ${done}/${count}`);
    }
    // One token per seeded session, in batches by rowid range.
    const maxRow = (db.prepare('SELECT max(rowid) AS m FROM sessions').get() as { m: number }).m;
    for (let from = 0; from <= maxRow; from += BATCH) {
      db.transaction(() => {
        db.prepare(
          `INSERT INTO refresh_tokens (${TOKEN_COLUMNS})
          SELECT lower(hex(randomblob(16))), id, substr(hex(randomblob(32)), 1, 43), 1, ${now}, ${now + DAY}
          FROM sessions WHERE rowid > ${from} AND rowid <= ${from + BATCH} AND user_agent = 'bench-seed'`,
        ).run();
      })();
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
  } else {
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      for (let done = 0; done < count; done += BATCH) {
        const n = Math.min(BATCH, count - done);
        await client.query(
          `WITH s AS (
             INSERT INTO sessions (${SESSION_COLUMNS})
             SELECT md5(random()::text || i), 'seed-user-' || (random() * 100000)::int, 'standard', 'latchkey', 'openid profile email',
                    $1, $2, $2, $1, '127.0.0.1', 'bench-seed', 0, NULL, NULL, NULL FROM generate_series(1, $3) i
             RETURNING id)
           INSERT INTO refresh_tokens (${TOKEN_COLUMNS})
           SELECT md5(random()::text || id), id, substr(md5(random()::text) || md5(random()::text), 1, 43), 1, $1, $2 FROM s`,
          [now, now + DAY, n],
        );
        if (done % 200_000 === 0 && done) log(`    sessions ${done}/${count}`);
      }
      await client.query('ANALYZE sessions; ANALYZE refresh_tokens');
    } finally {
      await client.end();
    }
  }
  log(`    seeded ${count} sessions in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
