import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type TestPostgres } from '../../test/support/postgres.js';
import { openStores } from './index.js';
import { describeStores } from './store-conformance.js';

const available = postgresAvailable();

describe.skipIf(!available)('PostgreSQL', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  describeStores('PostgreSQL', async () => {
    const stores = openStores(await server.createDatabase());
    await stores.migrate();
    return { stores, close: () => stores.close() };
  });

  it('applies every migration exactly once when three nodes migrate an empty database at once', async () => {
    const url = await server.createDatabase();
    const nodes = [openStores(url), openStores(url), openStores(url)];
    try {
      const applied = await Promise.all(nodes.map((n) => n.migrate()));
      const all = applied.flat().sort();
      expect(new Set(all).size).toBe(all.length);
      expect(all.length).toBeGreaterThan(0);
      // Every node now sees an up-to-date database and a working schema.
      expect(await Promise.all(nodes.map((n) => n.migrate()))).toEqual([[], [], []]);
      await nodes[0]!.health.check();
      expect(await nodes[1]!.users.findByEmail('nobody@example.com')).toBeNull();
    } finally {
      await Promise.all(nodes.map((n) => n.close()));
    }
  });
});
