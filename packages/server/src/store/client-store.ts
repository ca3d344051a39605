import type { CompiledQuery, Kysely, Selectable } from 'kysely';
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
  // Every token, revocation and introspection request looks its client up: build and
  // compile that query once (Kysely rebuilds, transforms and compiles a builder chain on
  // every execution), with a stand-in id, and run it with the real id as its one parameter.
  const findById = db.selectFrom('oauthClients').selectAll().where('id', '=', '').compile();
  if (findById.parameters.length !== 1) throw new Error('the client lookup must take exactly one parameter');
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
      const query: CompiledQuery<Selectable<OAuthClientsTable>> = { ...findById, parameters: [id] };
      const [row] = (await db.executeQuery(query)).rows;
      return row ? toRecord(row) : null;
    },
  };
}
