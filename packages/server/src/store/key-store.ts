import type { Kysely } from 'kysely';
import type { KeyAlgorithm, KeyStore } from '../ports.js';
import type { Database } from './schema.js';

export function createKeyStore(db: Kysely<Database>): KeyStore {
  return {
    async list() {
      const rows = await db.selectFrom('signingKeys').selectAll().orderBy('createdAt', 'desc').execute();
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
    async deleteExpired(now) {
      const result = await db.deleteFrom('signingKeys').where('publishUntil', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
