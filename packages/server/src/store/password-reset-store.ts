import type { Kysely } from 'kysely';
import type { PasswordResetStore } from '../ports.js';
import type { Database } from './schema.js';

export function createPasswordResetStore(db: Kysely<Database>): PasswordResetStore {
  return {
    async create(input) {
      await db
        .insertInto('passwordResetTokens')
        .values({ ...input, usedAt: null })
        .execute();
    },
    // The conditional UPDATE is the single use: of two racing resets, one gets the row.
    async consume(hash, now) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('passwordResetTokens')
          .set({ usedAt: now })
          .where('hash', '=', hash)
          .where('usedAt', 'is', null)
          .where('expiresAt', '>', now)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return null;
        const row = await trx.selectFrom('passwordResetTokens').select('userId').where('hash', '=', hash).executeTakeFirst();
        return row?.userId ?? null;
      });
    },
    async revokeForUser(userId, now) {
      await db.updateTable('passwordResetTokens').set({ usedAt: now }).where('userId', '=', userId).where('usedAt', 'is', null).execute();
    },
    async purge(now) {
      const result = await db
        .deleteFrom('passwordResetTokens')
        .where((eb) => eb.or([eb('expiresAt', '<=', now), eb('usedAt', 'is not', null)]))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
