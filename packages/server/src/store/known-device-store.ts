import { sql, type Kysely } from 'kysely';
import type { KnownDeviceStore } from '../ports.js';
import type { Database } from './schema.js';

export function createKnownDeviceStore(db: Kysely<Database>): KnownDeviceStore {
  return {
    // On every login: SQL templates (cheaper for Kysely than its builder), and both
    // upserts in one statement; the text runs on SQLite and PostgreSQL alike.
    async remember(userId, device, network, now) {
      return db.transaction().execute(async (trx) => {
        const { rows } = await sql<{
          kind: string;
          value: string;
        }>`select kind, value from known_devices where user_id = ${userId}`.execute(trx);
        const seen = (kind: string, value: string) => rows.some((r) => r.kind === kind && r.value === value);
        const result = { deviceSeen: seen('device', device), networkSeen: seen('network', network), anySeen: rows.length > 0 };
        await sql`insert into known_devices (user_id, kind, value, first_seen, last_seen)
          values (${userId}, 'device', ${device}, ${now}, ${now}), (${userId}, 'network', ${network}, ${now}, ${now})
          on conflict (user_id, kind, value) do update set last_seen = excluded.last_seen`.execute(trx);
        return result;
      });
    },
  };
}
