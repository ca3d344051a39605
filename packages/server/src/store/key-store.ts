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
    async retireOlderThan(keep, retiredAt, publishUntil) {
      await db
        .updateTable('signingKeys')
        .set({ retiredAt, publishUntil })
        .where('retiredAt', 'is', null)
        .where((eb) =>
          eb.or([eb('createdAt', '<', keep.createdAt), eb.and([eb('createdAt', '=', keep.createdAt), eb('kid', '<', keep.kid)])]),
        )
        .execute();
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
