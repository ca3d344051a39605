import type { Insertable, Kysely } from 'kysely';
import { randomHex } from '../core/random.js';
import type { AuditSeverity, AuditStore } from '../ports.js';
import type { AuditEventsTable, Database } from './schema.js';
import type { GroupCommit } from './sqlite-group-commit.js';

/** Ids sort by time (then randomness), so the id is also the pagination cursor. */
function auditId(at: number): string {
  return at.toString(36).padStart(10, '0') + randomHex(6);
}

/** Rows per INSERT: 10 parameters each stays far below SQLite's and PostgreSQL's limits. */
const BATCH_ROWS = 100;

interface Waiting {
  row: Insertable<AuditEventsTable>;
  resolve(): void;
  reject(error: unknown): void;
}

/** With `commits` (SQLite) the audit rows share the transaction of the turn's other writes. */
export function createAuditStore(db: Kysely<Database>, commits?: GroupCommit): AuditStore {
  // Group commit: the events appended during one turn of the event loop are written by
  // one multi-row INSERT when the turn ends, and each `append` resolves only once its
  // row is stored (or rejects with its batch). Nothing that awaits an event goes on
  // before the event is durable, but a busy server writes one statement and one commit
  // for many requests instead of one each (docs/benchmarks.md: refresh).
  let waiting: Waiting[] = [];
  const flush = async () => {
    const batch = waiting;
    waiting = [];
    for (let i = 0; i < batch.length; i += BATCH_ROWS) {
      const chunk = batch.slice(i, i + BATCH_ROWS);
      try {
        const rows = chunk.map((w) => w.row);
        if (commits) await commits.run((trx) => trx.insertInto('auditEvents').values(rows).execute());
        else await db.insertInto('auditEvents').values(rows).execute();
        for (const w of chunk) w.resolve();
      } catch (error) {
        for (const w of chunk) w.reject(error);
      }
    }
  };
  return {
    append(event) {
      return new Promise<void>((resolve, reject) => {
        if (waiting.length === 0) setImmediate(() => void flush());
        const row = { ...event, id: auditId(event.at), data: JSON.stringify(event.data) };
        waiting.push({ row, resolve, reject });
      });
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
