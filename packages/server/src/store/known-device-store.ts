import type { Kysely } from 'kysely';
import type { KnownDeviceStore } from '../ports.js';
import type { Database } from './schema.js';

export function createKnownDeviceStore(db: Kysely<Database>): KnownDeviceStore {
  return {
    async remember(userId, device, network, now) {
      return db.transaction().execute(async (trx) => {
        const rows = await trx.selectFrom('knownDevices').select(['kind', 'value']).where('userId', '=', userId).execute();
        const seen = (kind: string, value: string) => rows.some((r) => r.kind === kind && r.value === value);
        const result = { deviceSeen: seen('device', device), networkSeen: seen('network', network), anySeen: rows.length > 0 };
        for (const [kind, value] of [
          ['device', device],
          ['network', network],
        ] as const) {
          await trx
            .insertInto('knownDevices')
            .values({ userId, kind, value, firstSeen: now, lastSeen: now })
            .onConflict((oc) => oc.columns(['userId', 'kind', 'value']).doUpdateSet({ lastSeen: now }))
            .execute();
        }
        return result;
      });
    },
  };
}
