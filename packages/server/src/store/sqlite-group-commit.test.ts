import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { CamelCasePlugin, Kysely, SqliteDialect, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Database } from './schema.js';
import { sqliteGroupCommit, type GroupCommit } from './sqlite-group-commit.js';

describe('sqliteGroupCommit', () => {
  let raw: SQLite.Database;
  let db: Kysely<Database>;
  let commits: GroupCommit;
  let begins: number;
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-group-commit-'));
    raw = new SQLite(join(dir, 'test.db'));
    raw.pragma('journal_mode = WAL');
    raw.exec('create table t (k text primary key, v integer not null)');
    begins = 0;
    const database = {
      prepare(text: string) {
        if (/^begin/i.test(text)) begins++;
        return raw.prepare(text);
      },
      close: () => raw.close(),
    };
    db = new Kysely<Database>({ dialect: new SqliteDialect({ database }), plugins: [new CamelCasePlugin()] });
    commits = sqliteGroupCommit(db);
  });
  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const put = (k: string, v: number) => (trx: Kysely<Database>) => sql`insert into t (k, v) values (${k}, ${v})`.execute(trx).then(() => k);
  const rows = () => raw.prepare('select k, v from t order by k').all();

  it('commits the writes queued in one turn in one transaction, each caller getting its own result', async () => {
    const results = await Promise.all([commits.run(put('a', 1)), commits.run(put('b', 2)), commits.run(put('c', 3))]);
    expect(results).toEqual(['a', 'b', 'c']);
    expect(begins).toBe(1);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'b', v: 2 },
      { k: 'c', v: 3 },
    ]);
  });

  it('runs a conditional write after the ones queued before it, seeing what they wrote', async () => {
    const claim = (trx: Kysely<Database>) =>
      sql`update t set v = v + 1 where k = 'a' and v = 1`.execute(trx).then((r) => Number(r.numAffectedRows) === 1);
    const [, first, second] = await Promise.all([commits.run(put('a', 1)), commits.run(claim), commits.run(claim)]);
    expect([first, second]).toEqual([true, false]);
    expect(rows()).toEqual([{ k: 'a', v: 2 }]);
  });

  it('keeps a failing write atomic and its neighbours committed: the batch is replayed one transaction each', async () => {
    const halfThenFail = async (trx: Kysely<Database>) => {
      await put('half', 9)(trx);
      await put('a', 0)(trx); // duplicate key of the first write: fails after writing 'half'
      return 'never';
    };
    const settled = await Promise.allSettled([commits.run(put('a', 1)), commits.run(halfThenFail), commits.run(put('c', 3))]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(String((settled[1] as PromiseRejectedResult).reason)).toMatch(/UNIQUE constraint failed: t.k/);
    expect(rows()).toEqual([
      { k: 'a', v: 1 },
      { k: 'c', v: 3 },
    ]);
    // one batch that rolled back, then three transactions of one write each
    expect(begins).toBe(4);
  });

  it('fails the whole batch without replaying it when the database is locked by another process', async () => {
    const other = new SQLite(raw.name);
    other.pragma('busy_timeout = 0');
    raw.pragma('busy_timeout = 0');
    other.exec('begin immediate');
    try {
      const settled = await Promise.allSettled([commits.run(put('a', 1)), commits.run(put('b', 2))]);
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
      expect((settled[0] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_BUSY' });
      expect(begins).toBe(1);
    } finally {
      other.exec('rollback');
      other.close();
    }
    expect(rows()).toEqual([]);
  });

  it('starts a new transaction for writes queued after the previous turn ended', async () => {
    await commits.run(put('a', 1));
    await commits.run(put('b', 2));
    expect(begins).toBe(2);
    expect(rows()).toHaveLength(2);
  });
});
