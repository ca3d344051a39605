import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const infrastructure = [
  'fastify',
  'fastify-plugin',
  '@fastify/*',
  'kysely',
  'better-sqlite3',
  'pg',
  'ioredis',
  'pino',
  'prom-client',
  'node:http',
  'node:https',
  'node:net',
  'node:fs',
  'node:fs/promises',
];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'data/**', 'coverage/**', 'test-results/**', 'packages/browser/build/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    // DESIGN.md: the core is pure domain code; it imports no HTTP framework, database or Redis client.
    files: ['packages/server/src/core/**/*.ts'],
    // Tests beside core code may run it against a real store.
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: infrastructure,
              message: 'src/core must not import HTTP, database, cache or I/O libraries; add a port in src/ports.ts instead.',
            },
            {
              group: ['**/http/**', '**/store/**', '**/cache/**', '**/adapters/**', '**/cli/**', '../../app.js', '../app.js'],
              message: 'src/core must not reach up into adapters; depend on src/ports.ts.',
            },
          ],
        },
      ],
    },
  },
);
