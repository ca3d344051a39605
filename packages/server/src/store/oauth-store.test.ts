import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe } from 'vitest';
import { postgresAvailable, startPostgres, type TestPostgres } from '../../test/support/postgres.js';
import { openStores } from './index.js';
import { describeOAuthStores } from './oauth-store-conformance.js';

describeOAuthStores('SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-oauth-'));
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

describeOAuthStores('SQLite :memory:', async () => {
  const stores = openStores('sqlite::memory:');
  await stores.migrate();
  return { stores, close: () => stores.close() };
});

describe.skipIf(!postgresAvailable())('PostgreSQL', () => {
  let server: TestPostgres;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(() => server?.stop());

  describeOAuthStores('PostgreSQL', async () => {
    const stores = openStores(await server.createDatabase());
    await stores.migrate();
    return { stores, close: () => stores.close() };
  });
});
