import type { Kysely, Selectable } from 'kysely';
import type {
  AuthorizationCodeRecord,
  AuthorizationCodeStore,
  ConsentRecord,
  ConsentStore,
  RevokedClientTokenStore,
  SessionType,
} from '../ports.js';
import type { Database, OAuthCodesTable, OAuthConsentsTable } from './schema.js';

function toCode(row: Selectable<OAuthCodesTable>): AuthorizationCodeRecord {
  return {
    ...row,
    sessionType: row.sessionType as SessionType,
    redirectUriGiven: Number(row.redirectUriGiven) === 1,
    codeChallengeMethod: row.codeChallengeMethod === 'S256' ? 'S256' : null,
  };
}

function toConsent(row: Selectable<OAuthConsentsTable>): ConsentRecord {
  return { ...row, scopes: JSON.parse(row.scopes) as string[] };
}

export function createAuthorizationCodeStore(db: Kysely<Database>): AuthorizationCodeStore {
  return {
    async insert(code) {
      await db
        .insertInto('oauthCodes')
        .values({ ...code, redirectUriGiven: code.redirectUriGiven ? 1 : 0 })
        .execute();
    },
    // The conditional UPDATE is the whole race: exactly one caller sees one row changed.
    async consume(hash, now) {
      return db.transaction().execute(async (trx) => {
        const result = await trx
          .updateTable('oauthCodes')
          .set({ consumedAt: now })
          .where('hash', '=', hash)
          .where('consumedAt', 'is', null)
          .executeTakeFirst();
        const row = await trx.selectFrom('oauthCodes').selectAll().where('hash', '=', hash).executeTakeFirst();
        return row ? { first: Number(result.numUpdatedRows) === 1, code: toCode(row) } : null;
      });
    },
    // attachSession and markReplayed each write, then read what the other wrote: in any
    // order one of the two sees the other, so a session is never left alive after a replay.
    async attachSession(hash, sessionId) {
      return db.transaction().execute(async (trx) => {
        await trx.updateTable('oauthCodes').set({ issuedSessionId: sessionId }).where('hash', '=', hash).execute();
        const row = await trx.selectFrom('oauthCodes').select('replayedAt').where('hash', '=', hash).executeTakeFirst();
        return { replayed: row?.replayedAt != null };
      });
    },
    async markReplayed(hash, now) {
      return db.transaction().execute(async (trx) => {
        await trx.updateTable('oauthCodes').set({ replayedAt: now }).where('hash', '=', hash).where('replayedAt', 'is', null).execute();
        const row = await trx.selectFrom('oauthCodes').select('issuedSessionId').where('hash', '=', hash).executeTakeFirst();
        return row?.issuedSessionId ?? null;
      });
    },
    async purge(before) {
      const result = await db.deleteFrom('oauthCodes').where('expiresAt', '<', before).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export function createConsentStore(db: Kysely<Database>): ConsentStore {
  return {
    async find(userId, clientId) {
      const row = await db
        .selectFrom('oauthConsents')
        .selectAll()
        .where('userId', '=', userId)
        .where('clientId', '=', clientId)
        .executeTakeFirst();
      return row ? toConsent(row) : null;
    },
    async save(consent) {
      const scopes = JSON.stringify(consent.scopes);
      await db
        .insertInto('oauthConsents')
        .values({ ...consent, scopes })
        .onConflict((oc) => oc.columns(['userId', 'clientId']).doUpdateSet({ scopes, updatedAt: consent.updatedAt }))
        .execute();
    },
    async revoke(userId, clientId) {
      const result = await db.deleteFrom('oauthConsents').where('userId', '=', userId).where('clientId', '=', clientId).executeTakeFirst();
      return Number(result.numDeletedRows) === 1;
    },
    async listForUser(userId) {
      const rows = await db.selectFrom('oauthConsents').selectAll().where('userId', '=', userId).orderBy('clientId').execute();
      return rows.map(toConsent);
    },
  };
}

export function createRevokedClientTokenStore(db: Kysely<Database>): RevokedClientTokenStore {
  return {
    async add(jti, until) {
      await db
        .insertInto('oauthRevokedTokens')
        .values({ jti, until })
        .onConflict((oc) => oc.column('jti').doNothing())
        .execute();
    },
    async has(jti, now) {
      const row = await db
        .selectFrom('oauthRevokedTokens')
        .select('jti')
        .where('jti', '=', jti)
        .where('until', '>', now)
        .executeTakeFirst();
      return row !== undefined;
    },
    async purge(now) {
      const result = await db.deleteFrom('oauthRevokedTokens').where('until', '<=', now).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
