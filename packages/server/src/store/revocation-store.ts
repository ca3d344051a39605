import { sql, type Kysely } from 'kysely';
import type { RevocationRecord, RevocationStore, RevocationType } from '../ports.js';
import type { Database } from './schema.js';

/**
 * The revocation feed's log. The cursor is `seq`, and the port promises that a reader
 * never sees a cursor before every smaller one has committed, so a follower resuming
 * after N misses nothing:
 * - SQLite has a single writer; AUTOINCREMENT hands out `seq` inside its write lock, so
 *   commit order is `seq` order, and never reuses a value after a purge.
 * - PostgreSQL draws `seq` from a sequence when the row is inserted, not when it
 *   commits: two concurrent appends can commit 11 before 10, and a reader in between
 *   would move past 10 for good. Each append therefore takes a self-conflicting table
 *   lock first (readers pass; other appends wait), so appends commit one after another
 *   in `seq` order. Revocations are rare (logouts, blocks), so the wait costs nothing;
 *   it is simpler than serving events with an overlap or holding them back for a settle
 *   window, and it delivers events at once.
 */
export function createRevocationStore(db: Kysely<Database>, kind: 'sqlite' | 'postgres' = 'sqlite'): RevocationStore {
  return {
    async append(events) {
      if (events.length === 0) return;
      await db.transaction().execute(async (trx) => {
        if (kind === 'postgres') await sql`lock table revocations in share row exclusive mode`.execute(trx);
        await trx
          .insertInto('revocations')
          .values(events.map((e) => ({ type: e.type, subject: e.id, at: e.at, until: e.until })))
          .execute();
      });
    },
    async listAfter(after, limit) {
      let from = after ?? 0;
      if (after !== null) {
        const last = await db
          .selectFrom('revocations')
          .select((eb) => eb.fn.max('seq').as('last'))
          .executeTakeFirst();
        // A cursor beyond the log's end comes from another database (restored or
        // replaced): start over rather than wait for the sequence to catch up.
        if (last?.last !== null && last?.last !== undefined && Number(last.last) < after) from = 0;
      }
      const rows = await db.selectFrom('revocations').selectAll().where('seq', '>', from).orderBy('seq').limit(limit).execute();
      return rows.map((r): RevocationRecord => ({
        cursor: Number(r.seq),
        type: r.type as RevocationType,
        id: r.subject,
        at: Number(r.at),
        until: Number(r.until),
      }));
    },
    async purge(before) {
      const result = await db.deleteFrom('revocations').where('until', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
