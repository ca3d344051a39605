import type { Kysely, Selectable } from 'kysely';
import type { ClientRecord, ClientStore, GrantType } from '../ports.js';
import type { Database, OAuthClientsTable } from './schema.js';

function toRecord(row: Selectable<OAuthClientsTable>): ClientRecord {
  return {
    id: row.id,
    name: row.name,
    secretHash: row.secretHash,
    redirectUris: JSON.parse(row.redirectUris) as string[],
    grantTypes: JSON.parse(row.grantTypes) as GrantType[],
    scopes: JSON.parse(row.scopes) as string[],
    public: Number(row.isPublic) === 1,
    firstParty: Number(row.firstParty) === 1,
    createdAt: row.createdAt,
  };
}

export function createClientStore(db: Kysely<Database>): ClientStore {
  return {
    async create(client) {
      const result = await db
        .insertInto('oauthClients')
        .values({
          id: client.id,
          name: client.name,
          secretHash: client.secretHash,
          redirectUris: JSON.stringify(client.redirectUris),
          grantTypes: JSON.stringify(client.grantTypes),
          scopes: JSON.stringify(client.scopes),
          isPublic: client.public ? 1 : 0,
          firstParty: client.firstParty ? 1 : 0,
          createdAt: client.createdAt,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? 'created' : 'id_taken';
    },
    async findById(id) {
      const row = await db.selectFrom('oauthClients').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toRecord(row) : null;
    },
  };
}
