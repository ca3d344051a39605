import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';
import { isDatabaseUnavailable } from './unavailable.js';

/** A unit of writes that must commit atomically; it may be run twice (see below). */
export type Work<T> = (trx: Transaction<Database>) => Promise<T>;

export interface GroupCommit {
  /** Runs `work` in a transaction shared with the other writes of this turn; resolves after the commit. */
  run<T>(work: Work<T>): Promise<T>;
}

interface Queued {
  work: Work<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** Works per transaction: bounds how long one commit holds the connection. */
const MAX_BATCH = 256;

/**
 * Group commit for SQLite's single connection. Every write transaction costs SQLite a
 * commit (WAL frames for each page it touched, the WAL index, the locks) and Kysely a
 * BEGIN and a COMMIT; a busy server rotating refresh tokens paid that once per request.
 * The works queued during one turn of the event loop now run one after another in one
 * transaction when the turn ends, and each caller's promise settles only after that
 * commit, so nothing is answered before its write is durable.
 *
 * Each work stays atomic on its own: if any work throws, or the commit fails, the whole
 * transaction rolls back and every work of the batch runs again in a transaction of its
 * own, so one failing write neither takes its neighbours down nor leaves half of itself
 * behind (unless the database was locked by another process past the busy timeout: then
 * the whole batch fails, as each of its works would). Works must therefore only touch the database (no side effects outside it) and
 * decide from what they read inside the transaction, as a conditional UPDATE does.
 */
export function sqliteGroupCommit(db: Kysely<Database>): GroupCommit {
  let queue: Queued[] = [];

  const runAlone = (q: Queued) => db.transaction().execute(q.work).then(q.resolve, q.reject);

  const runBatch = async (batch: Queued[]) => {
    if (batch.length === 1) return runAlone(batch[0]!);
    let results: unknown[];
    try {
      results = await db.transaction().execute(async (trx) => {
        const out: unknown[] = [];
        for (const q of batch) out.push(await q.work(trx));
        return out;
      });
    } catch (error) {
      // Refused as a whole (another process held the lock past the busy timeout): running
      // each work again alone would wait that timeout once per work with the event loop
      // stopped, so the batch fails together.
      if (isDatabaseUnavailable(error)) {
        for (const q of batch) q.reject(error);
        return;
      }
      for (const q of batch) await runAlone(q);
      return;
    }
    for (let i = 0; i < batch.length; i++) batch[i]!.resolve(results[i]);
  };

  const flush = async () => {
    const pending = queue;
    queue = [];
    for (let i = 0; i < pending.length; i += MAX_BATCH) await runBatch(pending.slice(i, i + MAX_BATCH));
  };

  return {
    run<T>(work: Work<T>) {
      return new Promise<T>((resolve, reject) => {
        if (queue.length === 0) setImmediate(() => void flush());
        queue.push({ work, resolve: resolve as (value: unknown) => void, reject });
      });
    },
  };
}
