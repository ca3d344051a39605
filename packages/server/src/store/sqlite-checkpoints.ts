import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import type SQLite from 'better-sqlite3';

export interface CheckpointOptions {
  /** The WAL size at which the worker is first started (SQLite's own default is about 4 MB). */
  startBytes?: number;
  /** How often the worker checkpoints once started, and how often the WAL size is looked at before. */
  everyMs?: number;
  /** Commits on the request path checkpoint only past this many WAL pages: if the worker falls behind. */
  fallbackPages?: number;
}

export interface BackgroundCheckpoints {
  close(): Promise<void>;
}

// The worker is plain CommonJS evaluated from a string, so it runs the same from the
// compiled server and from the TypeScript sources under test.
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const db = new SQLite(workerData.path, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close();
    parentPort.postMessage('closed');
    return;
  }
  try {
    // PASSIVE: copy what no reader still needs, never wait for or block a writer.
    db.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or transient: the next round retries; the fallback threshold bounds the WAL.
  }
  parentPort.postMessage('done');
});
`;

/**
 * Moves SQLite's WAL checkpoints off the event loop. By default a checkpoint runs inside
 * whichever commit takes the WAL past 1000 pages: it copies up to 4 MB into the database
 * file and syncs it while every request waits (in the refresh benchmark, half the time
 * the event loop spent in SQLite; docs/benchmarks.md). Here commits on the request path
 * checkpoint only if the WAL grows past `fallbackPages`; once the WAL first reaches
 * `startBytes` a worker thread with its own connection runs PASSIVE checkpoints every
 * `everyMs`. Durability is unchanged: a commit is in the WAL either way, and the
 * checkpoint only moves it into the database file.
 */
export function backgroundCheckpoints(path: string, sqlite: SQLite.Database, options: CheckpointOptions = {}): BackgroundCheckpoints {
  const startBytes = options.startBytes ?? 4 * 1024 * 1024;
  const everyMs = options.everyMs ?? 250;
  sqlite.pragma(`wal_autocheckpoint = ${options.fallbackPages ?? 16_000}`);

  let worker: Worker | null = null;
  let running = false;
  let closed = false;
  const walSize = () => {
    try {
      return statSync(`${path}-wal`).size;
    } catch {
      return 0;
    }
  };
  const tick = () => {
    if (running || closed) return;
    if (!worker) {
      if (walSize() < startBytes) return;
      // No inherited flags: under --input-type=module an eval'd worker would be ESM.
      worker = new Worker(WORKER, {
        eval: true,
        execArgv: [],
        workerData: { path, driver: createRequire(import.meta.url).resolve('better-sqlite3') },
      });
      worker.on('message', (message) => {
        if (message === 'done') running = false;
      });
      // A failing worker must not take the server down, nor be restarted in a loop:
      // commits go back to checkpointing themselves past the fallback threshold.
      worker.on('error', () => {
        worker = null;
        closed = true;
        clearInterval(timer);
      });
      // After the listeners: adding a 'message' listener refs the worker again.
      worker.unref();
    }
    running = true;
    worker.postMessage('checkpoint');
  };
  const timer = setInterval(tick, everyMs).unref();

  return {
    async close() {
      closed = true;
      clearInterval(timer);
      const w = worker;
      worker = null;
      if (!w) return;
      // Close its connection first, so the last connection (the server's) ends the WAL cleanly.
      await new Promise<void>((resolve) => {
        w.on('message', (message) => message === 'closed' && resolve());
        w.once('exit', () => resolve());
        w.postMessage('close');
      });
      await w.terminate();
    },
  };
}
