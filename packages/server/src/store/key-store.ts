import { sql, type Kysely } from 'kysely';
import type { KeyAlgorithm, KeyStore } from '../ports.js';
import type { Database } from './schema.js';

export function createKeyStore(db: Kysely<Database>, kind: 'sqlite' | 'postgres' = 'sqlite'): KeyStore {
  return {
    async list() {
      const rows = await db.selectFrom('signingKeys').selectAll().orderBy('createdAt', 'desc').orderBy('kid', 'desc').execute();
      return rows.map((r) => ({ ...r, alg: r.alg as KeyAlgorithm }));
    },
    async insert(key) {
      await db.insertInto('signingKeys').values(key).execute();
    },
    // Retires what orders before `keep`, and also any key that orders before another
    // key still signing: when two nodes rotate at once, one node's retire may run before
    // the other's key is visible and so spare its own predecessor; the other node's
    // retire, which runs after both inserts, then retires it. Only the newest stays.
    async retireOlderThan(keep, retiredAt, publishUntil) {
      await sql`update signing_keys set retired_at = ${retiredAt}, publish_until = ${publishUntil}
        where retired_at is null and (
          created_at < ${keep.createdAt} or (created_at = ${keep.createdAt} and kid < ${keep.kid})
          or exists (select 1 from signing_keys newer where newer.retired_at is null
            and (newer.created_at > signing_keys.created_at or (newer.created_at = signing_keys.created_at and newer.kid > signing_keys.kid))))`.execute(
        db,
      );
    },
    async insertIfNoneSigning(key) {
      return db.transaction().execute(async (trx) => {
        // PostgreSQL: a self-conflicting table lock (readers still pass) makes the check
        // and the insert one step for every node. SQLite has one writer per database and
        // Kysely runs one transaction at a time on its connection.
        if (kind === 'postgres') await sql`lock table signing_keys in share row exclusive mode`.execute(trx);
        const signing = await trx.selectFrom('signingKeys').select('kid').where('retiredAt', 'is', null).limit(1).executeTakeFirst();
        if (signing) return false;
        await trx.insertInto('signingKeys').values(key).execute();
        return true;
      });
    },
    async deleteExpired(now) {
      const result = await db.deleteFrom('signingKeys').where('publishUntil', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
