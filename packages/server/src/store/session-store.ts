import type { Kysely, Selectable } from 'kysely';
import type { EndReason } from '../core/errors.js';
import type { SessionRecord, SessionStore, SessionType } from '../ports.js';
import type { Database, SessionsTable } from './schema.js';

function toRecord(row: Selectable<SessionsTable>): SessionRecord {
  return { ...row, type: row.type as SessionType, endReason: row.endReason as EndReason | null };
}

export function createSessionStore(db: Kysely<Database>): SessionStore {
  return {
    async create(session, first) {
      await db.transaction().execute(async (trx) => {
        await trx.insertInto('sessions').values(session).execute();
        await trx
          .insertInto('refreshTokens')
          .values({ ...first, sessionId: session.id })
          .execute();
      });
    },
    async findById(id) {
      const row = await db.selectFrom('sessions').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
    async findRefreshToken(hash) {
      const row = await db.selectFrom('refreshTokens').selectAll().where('hash', '=', hash).executeTakeFirst();
      return row ?? null;
    },
    // The conditional UPDATE is the whole race: zero rows means another request
    // changed the session first, and nothing else is written.
    async claimRefreshToken({ sessionId, token, successor, now, idleExpiresAt }) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('sessions')
          .set({ refreshGeneration: token.generation, refreshParentId: token.id, lastUsedAt: now, idleExpiresAt })
          .where('id', '=', sessionId)
          .where('refreshGeneration', '=', token.generation - 1)
          .where('endedAt', 'is', null)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return false;
        await trx
          .insertInto('refreshTokens')
          .values({ ...successor, sessionId })
          .execute();
        return true;
      });
    },
    async reissueRefreshToken({ sessionId, token, successor, now, idleExpiresAt }) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('sessions')
          .set({ lastUsedAt: now, idleExpiresAt })
          .where('id', '=', sessionId)
          .where('refreshGeneration', '=', token.generation)
          .where('refreshParentId', '=', token.id)
          .where('endedAt', 'is', null)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return false;
        await trx
          .insertInto('refreshTokens')
          .values({ ...successor, sessionId })
          .execute();
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
