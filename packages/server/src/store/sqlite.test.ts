import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStores } from './index.js';
import { describeStores } from './store-conformance.js';

describeStores('SQLite file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-sqlite-'));
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

describeStores('SQLite :memory:', async () => {
  const stores = openStores('sqlite::memory:');
  await stores.migrate();
  return { stores, close: () => stores.close() };
});
