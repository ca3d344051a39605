import { sql, type Kysely, type Selectable } from 'kysely';
import type { UserPage, UserRecord, UserStatus, UserStore } from '../ports.js';
import type { Database, UsersTable } from './schema.js';

function toRecord(row: Selectable<UsersTable>): UserRecord {
  return { ...row, roles: JSON.parse(row.roles) as string[], status: row.status as UserStatus };
}

export function createUserStore(db: Kysely<Database>): UserStore {
  return {
    async create(user) {
      const result = await db
        .insertInto('users')
        .values({ ...user, roles: JSON.stringify(user.roles) })
        .onConflict((oc) => oc.column('emailNormalized').doNothing())
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0n) === 1 ? 'created' : 'email_taken';
    },
    // On every refresh: a SQL template, which costs Kysely less than its builder (see session-store.ts).
    async findById(id) {
      const { rows } = await sql<Selectable<UsersTable>>`select * from users where id = ${id}`.execute(db);
      return rows[0] ? toRecord(rows[0]) : null;
    },
    // On every login.
    async findByEmail(emailNormalized) {
      const { rows } = await sql<Selectable<UsersTable>>`select * from users where email_normalized = ${emailNormalized}`.execute(db);
      return rows[0] ? toRecord(rows[0]) : null;
    },
    async setPasswordHash(id, passwordHash, now) {
      await db.updateTable('users').set({ passwordHash, updatedAt: now }).where('id', '=', id).execute();
    },
    async setStatus(id, status, now) {
      const result = await db.updateTable('users').set({ status, updatedAt: now }).where('id', '=', id).executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },
    async search(query, cursor, limit): Promise<UserPage> {
      let q = db
        .selectFrom('users')
        .selectAll()
        .orderBy('id')
        .limit(limit + 1);
      if (query) {
        const like = `%${query.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
        q = q.where(sql<boolean>`(lower(email) like ${like} escape '\\' or lower(name) like ${like} escape '\\')`);
      }
      if (cursor) q = q.where('id', '>', cursor);
      const rows = await q.execute();
      const users = rows.slice(0, limit).map(toRecord);
      return { users, next: rows.length > limit ? users[users.length - 1]!.id : null };
    },
  };
}
