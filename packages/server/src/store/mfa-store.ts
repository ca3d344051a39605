import type { Kysely } from 'kysely';
import type { MfaStore, TotpRecord } from '../ports.js';
import type { Database } from './schema.js';

/** A setup never confirmed with a code is forgotten after a day. */
const PENDING_SETUP_MS = 86_400_000;

export function createMfaStore(db: Kysely<Database>): MfaStore {
  return {
    async findTotp(userId) {
      const row = await db.selectFrom('mfaTotp').selectAll().where('userId', '=', userId).executeTakeFirst();
      if (!row) return null;
      const record: TotpRecord = {
        userId: row.userId,
        secretSealed: row.secretSealed,
        pendingSecretSealed: row.pendingSecretSealed,
        enabledAt: row.enabledAt,
        lastUsedStep: Number(row.lastUsedStep),
      };
      return record;
    },
    async savePendingTotp(userId, pendingSecretSealed, now) {
      await db
        .insertInto('mfaTotp')
        .values({
          userId,
          secretSealed: null,
          pendingSecretSealed,
          pendingCreatedAt: now,
          enabledAt: null,
          lastUsedStep: 0,
          updatedAt: now,
        })
        .onConflict((oc) => oc.column('userId').doUpdateSet({ pendingSecretSealed, pendingCreatedAt: now, updatedAt: now }))
        .execute();
    },
    // The conditional UPDATE settles two enables racing with one setup: one wins.
    async enableTotp({ userId, pendingSecretSealed, step, backupCodeHashes, now }) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('mfaTotp')
          .set({
            secretSealed: pendingSecretSealed,
            pendingSecretSealed: null,
            pendingCreatedAt: null,
            enabledAt: now,
            lastUsedStep: step,
            updatedAt: now,
          })
          .where('userId', '=', userId)
          .where('pendingSecretSealed', '=', pendingSecretSealed)
          .executeTakeFirst();
        if (Number(result.numUpdatedRows) !== 1) return false;
        await trx.deleteFrom('mfaBackupCodes').where('userId', '=', userId).execute();
        if (backupCodeHashes.length > 0) {
          await trx
            .insertInto('mfaBackupCodes')
            .values(backupCodeHashes.map((hash) => ({ userId, hash, usedAt: null })))
            .execute();
        }
        return true;
      });
    },
    async disableTotp(userId) {
      await db.transaction().execute(async (trx) => {
        await trx.deleteFrom('mfaTotp').where('userId', '=', userId).execute();
        await trx.deleteFrom('mfaBackupCodes').where('userId', '=', userId).execute();
      });
    },
    async useTotpStep(userId, step) {
      const result = await db
        .updateTable('mfaTotp')
        .set({ lastUsedStep: step })
        .where('userId', '=', userId)
        .where('enabledAt', 'is not', null)
        .where('lastUsedStep', '<', step)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async useBackupCode(userId, hash, now) {
      const result = await db
        .updateTable('mfaBackupCodes')
        .set({ usedAt: now })
        .where('userId', '=', userId)
        .where('hash', '=', hash)
        .where('usedAt', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async createChallenge(hash, challenge) {
      await db
        .insertInto('mfaChallenges')
        .values({ hash, ...challenge, remember: challenge.remember ? 1 : 0, consumedAt: null })
        .execute();
    },
    async findChallenge(hash) {
      const row = await db
        .selectFrom('mfaChallenges')
        .selectAll()
        .where('hash', '=', hash)
        .where('consumedAt', 'is', null)
        .executeTakeFirst();
      if (!row) return null;
      return {
        userId: row.userId,
        remember: Number(row.remember) === 1,
        transport: row.transport,
        createdAt: row.createdAt,
        expiresAt: row.expiresAt,
      };
    },
    async consumeChallenge(hash, now) {
      const result = await db
        .updateTable('mfaChallenges')
        .set({ consumedAt: now })
        .where('hash', '=', hash)
        .where('consumedAt', 'is', null)
        .where('expiresAt', '>', now)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async purge(now) {
      return db.transaction().execute(async (trx) => {
        const challenges = await trx.deleteFrom('mfaChallenges').where('expiresAt', '<=', now).executeTakeFirst();
        await trx
          .updateTable('mfaTotp')
          .set({ pendingSecretSealed: null, pendingCreatedAt: null })
          .where('pendingCreatedAt', '<', now - PENDING_SETUP_MS)
          .execute();
        const setups = await trx
          .deleteFrom('mfaTotp')
          .where('secretSealed', 'is', null)
          .where('pendingSecretSealed', 'is', null)
          .executeTakeFirst();
        return Number(challenges.numDeletedRows) + Number(setups.numDeletedRows);
      });
    },
  };
}
