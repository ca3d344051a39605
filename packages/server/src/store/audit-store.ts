import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { AuditSeverity, AuditStore } from '../ports.js';
import type { Database } from './schema.js';

/** Ids sort by time (then randomness), so the id is also the pagination cursor. */
function auditId(at: number): string {
  return at.toString(36).padStart(10, '0') + randomBytes(6).toString('hex');
}

export function createAuditStore(db: Kysely<Database>): AuditStore {
  return {
    async append(event) {
      await db
        .insertInto('auditEvents')
        .values({ ...event, id: auditId(event.at), data: JSON.stringify(event.data) })
        .execute();
    },
    async query({ userId, type, cursor, limit }) {
      let q = db
        .selectFrom('auditEvents')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(limit + 1);
      if (userId) q = q.where('userId', '=', userId);
      if (type) q = q.where('type', '=', type);
      if (cursor) q = q.where('id', '<', cursor);
      const rows = await q.execute();
      const events = rows.slice(0, limit).map((r) => ({
        ...r,
        severity: r.severity as AuditSeverity,
        data: JSON.parse(r.data) as Record<string, unknown>,
      }));
      return { events, next: rows.length > limit ? events[events.length - 1]!.id : null };
    },
  };
}
