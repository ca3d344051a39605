import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
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

  it('never keeps the process alive by itself (a CLI command that forgot to close still exits)', async () => {
    const { path, sqlite } = open();
    sqlite.close();
    // The compiled module (vitest's global setup builds dist/), in a process of its own.
    const module = fileURLToPath(new URL('../../dist/store/sqlite-checkpoints.js', import.meta.url));
    const script = `
      const SQLite = (await import('better-sqlite3')).default;
      const { backgroundCheckpoints } = await import(${JSON.stringify(module)});
      const db = new SQLite(${JSON.stringify(path)});
      backgroundCheckpoints(${JSON.stringify(path)}, db, { startBytes: 1024, everyMs: 10 });
      const insert = db.prepare('insert into t (v) values (?)');
      for (let i = 0; i < 500; i++) insert.run('x'.repeat(1000));
      const { statSync } = await import('node:fs');
      for (let i = 0; i < 100 && statSync(${JSON.stringify(path)}).size < 256 * 1024; i++) await new Promise((r) => setTimeout(r, 50));
      // 3: the worker never checkpointed (so this would prove nothing).
      if (statSync(${JSON.stringify(path)}).size < 256 * 1024) process.exitCode = 3;`;
    const exit = await new Promise<number | string>((resolve) => {
      const child = execFile(process.execPath, ['--input-type=module', '-e', script], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
      });
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        resolve('still running after 10 s');
      }, 10_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve(code ?? 'killed');
      });
    });
    expect(exit).toBe(0);
  });
});
