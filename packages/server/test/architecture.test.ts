import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint();

async function ruleIds(code: string, filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result!.messages.map((m) => m.ruleId ?? m.message);
}

describe('the core stays free of infrastructure', () => {
  it.each([
    "import Fastify from 'fastify';",
    "import { Kysely } from 'kysely';",
    "import Redis from 'ioredis';",
    "import pg from 'pg';",
    "import { readFileSync } from 'node:fs';",
    "import { openStores } from '../../store/index.js';",
    "import { authRoutes } from '../../http/routes/auth.js';",
  ])('refuses %s inside src/core', async (line) => {
    expect(await ruleIds(`${line}\nexport {};\n`, 'packages/server/src/core/sessions/example.ts')).toContain('no-restricted-imports');
  });

  it('allows the same import outside the core', async () => {
    expect(await ruleIds("import Fastify from 'fastify';\nexport const f = Fastify;\n", 'packages/server/src/http/example.ts')).toEqual([]);
  });
});
