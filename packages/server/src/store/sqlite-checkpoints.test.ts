import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { backgroundCheckpoints } from './sqlite-checkpoints.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function open(): { path: string; sqlite: SQLite.Database } {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-wal-'));
  dirs.push(dir);
  const path = join(dir, 'db.sqlite');
  const sqlite = new SQLite(path);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.exec('create table t (id integer primary key, v text not null)');
  return { path, sqlite };
}

function writeAboutOneMiB(sqlite: SQLite.Database): void {
  const insert = sqlite.prepare('insert into t (v) values (?)');
  for (let batch = 0; batch < 16; batch++) sqlite.transaction(() => Array.from({ length: 64 }, () => insert.run('x'.repeat(1000))))();
}

async function until(condition: () => boolean, ms = 10_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('background checkpoints', () => {
  it('copies the WAL into the database file from a worker, while commits leave it to the worker', async () => {
    const { path, sqlite } = open();
    // The request path would checkpoint only past 100k pages: the copy can only be the worker's.
    const checkpoints = backgroundCheckpoints(path, sqlite, { startBytes: 64 * 1024, everyMs: 20, fallbackPages: 100_000 });
    writeAboutOneMiB(sqlite);
    expect(statSync(path).size).toBeLessThan(64 * 1024);
    expect(await until(() => statSync(path).size > 512 * 1024)).toBe(true);

    await checkpoints.close();
    expect((sqlite.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(1024);
    sqlite.close();
  });

  it('does not start a worker while the WAL is small', async () => {
    const { path, sqlite } = open();
    const checkpoints = backgroundCheckpoints(path, sqlite, { startBytes: 64 * 1024 * 1024, everyMs: 20, fallbackPages: 100_000 });
    writeAboutOneMiB(sqlite);
    await new Promise((r) => setTimeout(r, 300));
    expect(statSync(path).size).toBeLessThan(64 * 1024);
    await checkpoints.close();
    sqlite.close();
  });

  it('closes its own connection first, so closing the server connection ends the WAL cleanly', async () => {
    const { path, sqlite } = open();
    const checkpoints = backgroundCheckpoints(path, sqlite, { startBytes: 64 * 1024, everyMs: 20, fallbackPages: 100_000 });
    writeAboutOneMiB(sqlite);
    expect(await until(() => statSync(path).size > 512 * 1024)).toBe(true);
    await checkpoints.close();
    sqlite.close();
    // SQLite deletes the WAL when the last connection to the database closes.
    expect(existsSync(`${path}-wal`)).toBe(false);
    const reopened = new SQLite(path, { readonly: true });
    expect((reopened.prepare('select count(*) as n from t').get() as { n: number }).n).toBe(1024);
    reopened.close();
  });
});
