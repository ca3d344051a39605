import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresAvailable, startPostgres, type TestPostgres } from '../../test/support/postgres.js';
import { openStores } from './index.js';

describe.skipIf(!postgresAvailable())('closing a PostgreSQL store', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  async function connectionsTo(database: string): Promise<number> {
    const client = new pg.Client({ connectionString: server.url() });
    await client.connect();
    try {
      const { rows } = await client.query<{ n: string }>('select count(*) as n from pg_stat_activity where datname = $1', [database]);
      return Number(rows[0]!.n);
    } finally {
      await client.end();
    }
  }

  async function settled(database: string): Promise<number> {
    // A backend leaves pg_stat_activity a moment after its client hangs up.
    for (let i = 0; i < 50; i++) {
      const n = await connectionsTo(database);
      if (n === 0) return 0;
      await new Promise((r) => setTimeout(r, 100));
    }
    return connectionsTo(database);
  }

  it('closes the warmed-up pool even when no request ever ran a query (`latchkey migrate` exits)', async () => {
    const url = await server.createDatabase('close_unused');
    const stores = openStores(url);
    await stores.migrate();
    await new Promise((r) => setTimeout(r, 300));
    await stores.close();
    expect(await settled('close_unused')).toBe(0);
  });

  it('closes the pool after it served queries', async () => {
    const url = await server.createDatabase('close_used');
    const stores = openStores(url);
    await stores.migrate();
    expect(await stores.users.findByEmail('nobody@example.com')).toBeNull();
    await stores.close();
    expect(await settled('close_used')).toBe(0);
  });
});
