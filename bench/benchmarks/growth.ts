import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { postgresAvailable, startPostgres, type TestPostgres } from '../../packages/server/test/support/postgres.js';
import type { BenchContext } from '../lib/context.js';
import { compare, served, type Subject } from '../lib/compare.js';
import { login, migrate, refreshClient, startLatchkey } from '../lib/latchkey.js';
import { emptyRow, type Benchmark, type Row } from '../lib/result.js';
import { seedFillerSessions } from '../lib/seed.js';

/** ES256, so that signing does not hide what the store costs. */
const ALG = 'ES256';
const P99_GROWTH_LIMIT = 0.2;
const RSS_GROWTH_LIMIT = 0.1;

function sizes(ctx: BenchContext): number[] {
  return ctx.smoke ? [1_000, 10_000] : [1_000, 100_000, 1_000_000];
}

function power(n: number): string {
  const k = Math.round(Math.log10(n));
  return 10 ** k === n ? `10^${k}` : String(n);
}

async function growth(
  ctx: BenchContext,
  backend: 'SQLite' | 'PostgreSQL',
  databaseUrl: (size: number) => Promise<string | undefined>,
): Promise<Row[]> {
  const subjects: Subject[] = [];
  for (const size of sizes(ctx)) {
    const dataDir = mkdtempSync(join(ctx.tmp, `growth-${size}-`));
    const url = await databaseUrl(size);
    ctx.log(`  ${backend}: seeding ${size} sessions`);
    await migrate(ctx, { dataDir, databaseUrl: url });
    await seedFillerSessions(url ?? `sqlite:${join(dataDir, 'latchkey.db')}`, size, ctx.log);
    subjects.push(
      served(
        `${backend} ${power(size)} sessions`,
        (c) => startLatchkey(c, { alg: ALG, dataDir, databaseUrl: url, name: `latchkey-${backend}-${size}` }),
        async (c, port) => {
          const tokens: string[] = [];
          for (let i = 0; i < c.clients; i++) tokens.push(await login(port));
          return tokens.map(refreshClient);
        },
      ),
    );
  }
  const measured = await compare(ctx, subjects);
  const rows = measured.map((m) => {
    const row = emptyRow('growth', m.label, ALG);
    row.latchkey = m;
    return row;
  });
  const first = measured[0]!;
  const last = measured[measured.length - 1]!;
  const p99Growth = last.p99 / first.p99 - 1;
  const rssGrowth = last.rssMiB! / first.rssMiB! - 1;
  const summary = emptyRow('growth', `${backend}: ${first.label.split(' ')[1]} -> ${last.label.split(' ')[1]} sessions`, ALG);
  summary.ratio = last.rps / first.rps;
  summary.roundRatios = last.roundRps.map((r, i) => r / first.roundRps[i]!);
  summary.target = {
    text: `refresh p99 +${(P99_GROWTH_LIMIT * 100).toFixed(0)}% at most (measured ${(p99Growth * 100).toFixed(0)}%); RSS flat (measured ${(rssGrowth * 100).toFixed(0)}%)`,
    met: first.errors + last.errors === 0 ? p99Growth < P99_GROWTH_LIMIT && rssGrowth < RSS_GROWTH_LIMIT : null,
  };
  rows.push(summary);
  return rows;
}

export const growthSqliteBenchmark: Benchmark = {
  id: 'growth-sqlite',
  title: 'Growth on SQLite',
  run: (ctx) => {
    ctx.log('growth: refresh p99 and server RSS by sessions stored, SQLite');
    return growth(ctx, 'SQLite', async () => undefined);
  },
};

export const growthPostgresBenchmark: Benchmark = {
  id: 'growth-postgres',
  title: 'Growth on PostgreSQL',
  async run(ctx) {
    ctx.log('growth: refresh p99 and server RSS by sessions stored, PostgreSQL');
    if (!postgresAvailable()) {
      const row = emptyRow('growth', 'PostgreSQL', ALG);
      row.pending = 'PostgreSQL binaries not found on this machine';
      return [row];
    }
    // Durable: fsync and synchronous_commit on, as a production database runs.
    const postgres: TestPostgres = await startPostgres({ durable: true });
    try {
      return await growth(ctx, 'PostgreSQL', (size) => postgres.createDatabase(`growth_${size}`));
    } finally {
      await postgres.stop();
    }
  },
};
