import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type TestPostgres } from '../../test/support/postgres.js';
import type { RevocationEvent, RevocationStore } from '../ports.js';
import { openStores, type Stores } from './index.js';

const T0 = Date.UTC(2030, 0, 1);
const event = (id: string, at = T0, until = T0 + 960_000): RevocationEvent => ({ type: 'session', id, at, until });

/** The revocation log's contract, run against every adapter. */
function describeRevocationStore(name: string, open: () => Promise<{ stores: Stores; close(): Promise<void> }>): void {
  describe(`${name} revocation store`, () => {
    let fixture: { stores: Stores; close(): Promise<void> };
    let store: RevocationStore;
    beforeAll(async () => {
      fixture = await open();
      store = fixture.stores.revocations;
    });
    afterAll(() => fixture?.close());

    /** Everything after `cursor`, following pages of `limit` to the end. */
    async function readAll(cursor: number | null, limit = 1000) {
      const seen = [];
      for (;;) {
        const page = await store.listAfter(cursor, limit);
        if (page.length === 0) return { seen, cursor };
        seen.push(...page);
        cursor = page[page.length - 1]!.cursor;
      }
    }

    it('hands out increasing cursors, oldest first, and pages after a cursor', async () => {
      const { cursor: start } = await readAll(null);
      await store.append([event('a'), event('b')]);
      await store.append([{ type: 'user', id: 'u1', at: T0 + 1, until: T0 + 2 }]);
      const all = await store.listAfter(start, 10);
      expect(all.map((e) => [e.type, e.id, e.at, e.until])).toEqual([
        ['session', 'a', T0, T0 + 960_000],
        ['session', 'b', T0, T0 + 960_000],
        ['user', 'u1', T0 + 1, T0 + 2],
      ]);
      expect(all[0]!.cursor).toBeLessThan(all[1]!.cursor);
      expect(all[1]!.cursor).toBeLessThan(all[2]!.cursor);
      expect((await store.listAfter(all[0]!.cursor, 1)).map((e) => e.id)).toEqual(['b']);
      expect(await store.listAfter(all[2]!.cursor, 10)).toEqual([]);
    });

    it('never reuses a cursor after a purge, and purges by until', async () => {
      await store.append([event('old-1', T0, T0 + 10), event('old-2', T0, T0 + 10)]);
      const before = (await readAll(null)).seen;
      const last = before[before.length - 1]!.cursor;
      expect(await store.purge(T0 + 11)).toBeGreaterThanOrEqual(2);
      expect((await readAll(null)).seen.some((e) => e.id.startsWith('old-'))).toBe(false);
      await store.append([event('after-purge')]);
      const [next] = await store.listAfter(last, 10);
      expect(next).toMatchObject({ id: 'after-purge' });
      expect(next!.cursor).toBeGreaterThan(last);
    });

    it('starts over for a cursor beyond the end of the log (a restored or replaced database)', async () => {
      const { seen } = await readAll(null);
      const page = await store.listAfter(seen[seen.length - 1]!.cursor + 1_000_000, 1000);
      expect(page.map((e) => e.cursor)).toEqual(seen.map((e) => e.cursor));
    });

    // On PostgreSQL sequence order is not commit order; without the store's precaution a
    // follower reading between two commits skips an event for good (this fails then).
    it('lets a follower that reads while appends race miss none of them (3 rounds of 200)', async () => {
      for (let round = 0; round < 3; round++) {
        let { cursor } = await readAll(null);
        const ids = Array.from({ length: 200 }, (_, i) => `race-${round}-${i}`);
        const seen = new Set<string>();
        let writing = true;
        const follower = (async () => {
          while (writing) {
            const page = await store.listAfter(cursor, 1000);
            for (const e of page) seen.add(e.id);
            if (page.length) cursor = page[page.length - 1]!.cursor;
          }
        })();
        // Eight writers at once: racing, yet leaving the follower a connection in the pool.
        const queue = [...ids];
        await Promise.all(
          Array.from({ length: 8 }, async () => {
            for (let id = queue.shift(); id !== undefined; id = queue.shift()) await store.append([event(id)]);
          }),
        );
        writing = false;
        await follower;
        for (const e of (await readAll(cursor)).seen) seen.add(e.id);
        expect(ids.filter((id) => !seen.has(id))).toEqual([]);
      }
    });
  });
}

describeRevocationStore('SQLite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-revocations-'));
  const stores = openStores(`sqlite:${join(dir, 'latchkey.db')}`);
  await stores.migrate();
  return {
    stores,
    async close() {
      await stores.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe.skipIf(!postgresAvailable())('PostgreSQL', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());
  describeRevocationStore('PostgreSQL', async () => {
    const stores = openStores(await server.createDatabase());
    await stores.migrate();
    return { stores, close: () => stores.close() };
  });
});
