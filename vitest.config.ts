import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/src/**/*.test.ts', 'packages/*/test/**/*.test.ts', 'bench/*.test.ts'],
    // Workspace packages from source, so tests never run a stale dist/.
    alias: [
      { find: /^@latchkey\/node\/jws$/, replacement: fileURLToPath(new URL('./packages/node/src/jws.ts', import.meta.url)) },
      { find: /^@latchkey\/node$/, replacement: fileURLToPath(new URL('./packages/node/src/index.ts', import.meta.url)) },
    ],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    env: { NODE_ENV: 'test' },
    globalSetup: ['packages/server/test/support/global-build.ts'],
  },
});
