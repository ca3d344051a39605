import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import type { EndReason } from '../core/errors.js';
import type { NewRefreshToken, RefreshTokenRecord, SessionRecord, SessionStore, SessionType } from '../ports.js';
import { claimOnPostgres, reissueOnPostgres } from './postgres-rotation.js';
import type { Database, SessionsTable } from './schema.js';
import type { GroupCommit } from './sqlite-group-commit.js';

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return { ...row, type: row.type as SessionType, endReason: row.endReason as EndReason | null };
}

// The refresh path (two lookups, then the rotation) is written as SQL templates, the same
// text on SQLite and PostgreSQL: building a query with Kysely's builder cost more CPU
// than SQLite took to run it (docs/benchmarks.md). Result columns still come back
// camelCased by the CamelCasePlugin.
function insertRefreshToken(trx: Transaction<Database>, sessionId: string, t: NewRefreshToken) {
  return sql`insert into refresh_tokens (id, session_id, hash, generation, created_at, expires_at)
    values (${t.id}, ${sessionId}, ${t.hash}, ${t.generation}, ${t.createdAt}, ${t.expiresAt})`.execute(trx);
}

/**
 * `commits` (SQLite) runs the new sessions and rotations of one turn of the event loop in
 * one transaction (sqlite-group-commit.ts); without it each is a transaction of its own.
 * PostgreSQL rotates on its pool's connections (postgres-rotation.ts).
 */
export function createSessionStore(db: Kysely<Database>, kind: 'sqlite' | 'postgres' = 'sqlite', commits?: GroupCommit): SessionStore {
  const write = <T>(work: (trx: Transaction<Database>) => Promise<T>): Promise<T> =>
    commits ? commits.run(work) : db.transaction().execute(work);
  return {
    // On every login: a SQL template, as the refresh path. The columns are the record's
    // own fields (camelCase to snake_case by the CamelCasePlugin), so a field added to
    // SessionRecord is stored without touching this.
    async create(session, first) {
      const columns = Object.keys(session) as Array<keyof SessionRecord>;
      await write(async (trx) => {
        await sql`insert into sessions (${sql.join(columns.map((c) => sql.ref(c)))})
          values (${sql.join(columns.map((c) => session[c]))})`.execute(trx);
        await insertRefreshToken(trx, session.id, first);
      });
    },
    async findById(id) {
      const { rows } = await sql<Selectable<SessionsTable>>`select * from sessions where id = ${id}`.execute(db);
      return rows[0] ? toRecord(rows[0]) : null;
    },
    // One statement instead of two on every refresh; the token's columns are aliased
    // where they share a name with the session's.
    async findRefreshTokenWithSession(hash) {
      const { rows } = await sql<
        Selectable<SessionsTable> & { tokenId: string; tokenCreatedAt: number; tokenExpiresAt: number; generation: number; hash: string }
      >`
        select s.*, t.id as token_id, t.hash, t.generation, t.created_at as token_created_at, t.expires_at as token_expires_at
        from refresh_tokens t join sessions s on s.id = t.session_id where t.hash = ${hash}`.execute(db);
      const row = rows[0];
      if (!row) return null;
      const { tokenId, hash: tokenHash, generation, tokenCreatedAt, tokenExpiresAt, ...session } = row;
      return {
        token: { id: tokenId, sessionId: session.id, hash: tokenHash, generation, createdAt: tokenCreatedAt, expiresAt: tokenExpiresAt },
        session: toRecord(session),
      };
    },
    async findRefreshToken(hash) {
      const { rows } = await sql<RefreshTokenRecord>`select * from refresh_tokens where hash = ${hash}`.execute(db);
      return rows[0] ?? null;
    },
    // The conditional UPDATE is the whole race: zero rows means another request
    // changed the session first, and nothing else is written.
    async claimRefreshToken(change) {
      if (kind === 'postgres') return claimOnPostgres(db, change);
      const { sessionId, token, successor, now, idleExpiresAt } = change;
      return write(async (trx) => {
        const result = await sql`update sessions
          set refresh_generation = ${token.generation}, refresh_parent_id = ${token.id}, last_used_at = ${now}, idle_expires_at = ${idleExpiresAt}
          where id = ${sessionId} and refresh_generation = ${token.generation - 1} and ended_at is null`.execute(trx);
        if (Number(result.numAffectedRows) !== 1) return false;
        await insertRefreshToken(trx, sessionId, successor);
        return true;
      });
    },
    async reissueRefreshToken(change) {
      if (kind === 'postgres') return reissueOnPostgres(db, change);
      const { sessionId, token, successor, now, idleExpiresAt } = change;
      return write(async (trx) => {
        const result = await sql`update sessions
          set last_used_at = ${now}, idle_expires_at = ${idleExpiresAt}
          where id = ${sessionId} and refresh_generation = ${token.generation} and refresh_parent_id = ${token.id} and ended_at is null`.execute(
          trx,
        );
        if (Number(result.numAffectedRows) !== 1) return false;
        await insertRefreshToken(trx, sessionId, successor);
        return true;
      });
    },
    async end(id, reason, now) {
      const result = await db
        .updateTable('sessions')
        .set({ endedAt: now, endReason: reason })
        .where('id', '=', id)
        .where('endedAt', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async endAllForUser(userId, reason, now, exceptId) {
      let q = db.updateTable('sessions').set({ endedAt: now, endReason: reason }).where('userId', '=', userId).where('endedAt', 'is', null);
      if (exceptId) q = q.where('id', '!=', exceptId);
      const rows = await q.returning('id').execute();
      return rows.map((r) => r.id);
    },
    async listActiveForUser(userId, now) {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('userId', '=', userId)
        .where('endedAt', 'is', null)
        .where('expiresAt', '>', now)
        .where('idleExpiresAt', '>', now)
        .orderBy('createdAt', 'desc')
        .execute();
      return rows.map(toRecord);
    },
    async listEndedSince(since) {
      return db.selectFrom('sessions').select(['id', 'endedAt']).where('endedAt', '>', since).execute() as Promise<
        Array<{ id: string; endedAt: number }>
      >;
    },
    async countActive(now) {
      const rows = await db
        .selectFrom('sessions')
        .select(['type', (eb) => eb.fn.countAll<number>().as('n')])
        .where('endedAt', 'is', null)
        .where('expiresAt', '>', now)
        .where('idleExpiresAt', '>', now)
        .groupBy('type')
        .execute();
      const count = (type: string) => Number(rows.find((r) => r.type === type)?.n ?? 0);
      return { standard: count('standard'), extended: count('extended') };
    },
    async purge(now, endedBefore) {
      return db.transaction().execute(async (trx) => {
        const tokens = await trx
          .deleteFrom('refreshTokens')
          .where((eb) =>
            eb.or([
              eb('expiresAt', '<=', now),
              eb('sessionId', 'in', eb.selectFrom('sessions').select('id').where('endedAt', '<', endedBefore)),
            ]),
          )
          .executeTakeFirst();
        const sessions = await trx
          .deleteFrom('sessions')
          .where((eb) => eb.or([eb('endedAt', '<', endedBefore), eb('expiresAt', '<', endedBefore), eb('idleExpiresAt', '<', endedBefore)]))
          .executeTakeFirst();
        return Number(tokens.numDeletedRows) + Number(sessions.numDeletedRows);
      });
    },
  };
}
