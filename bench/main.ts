// `npm run bench [-- flags]` (through bench/run.js, which builds and bundles first).
//   --smoke              a few seconds per benchmark, to prove it runs (BENCH_SMOKE=1 too)
//   --only a,b           benchmark ids: refresh, client-credentials, login, growth-sqlite, growth-postgres, primitives
//   --out FILE           the Markdown report (default docs/benchmarks.md; none in smoke mode)
//   --json FILE          the results as JSON
//   --from-json FILE     render the Markdown of a saved run instead of running
//   --rounds N --duration S --warmup S --clients N
//   --filter TEXT        only the comparisons whose label and algorithm contain TEXT (e.g. "auth/refresh (bearer) ES256")
//   --node-arg FLAG      a node flag for every server process (repeatable), e.g. --perf-basic-prof for `perf record`
//   --profile NAME       run that server with --cpu-prof (latchkey, oidc-provider, better-auth); profiles in --profile-dir
//   --latchkey-env K=V   extra environment for every Latchkey process (repeatable), for experiments
//   --latchkey-bin FILE  run another build of the CLI (an A/B against an older commit's bin/latchkey.js)
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { growthPostgresBenchmark, growthSqliteBenchmark } from './benchmarks/growth.js';
import { loginBenchmark } from './benchmarks/login.js';
import { primitivesBenchmark } from './benchmarks/primitives.js';
import { clientCredentialsBenchmark, refreshBenchmark } from './benchmarks/tokens.js';
import type { BenchContext } from './lib/context.js';
import { describeMachine, renderReport, type Report } from './lib/report.js';
import type { Benchmark } from './lib/result.js';

export const BENCHMARKS: Benchmark[] = [
  refreshBenchmark,
  clientCredentialsBenchmark,
  loginBenchmark,
  growthSqliteBenchmark,
  growthPostgresBenchmark,
  primitivesBenchmark,
];

const { values } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: process.env.BENCH_SMOKE === '1' },
    only: { type: 'string' },
    out: { type: 'string' },
    json: { type: 'string' },
    rounds: { type: 'string' },
    duration: { type: 'string' },
    warmup: { type: 'string' },
    clients: { type: 'string' },
    profile: { type: 'string', multiple: true },
    filter: { type: 'string' },
    'profile-dir': { type: 'string' },
    'latchkey-env': { type: 'string', multiple: true },
    'latchkey-bin': { type: 'string' },
    'from-json': { type: 'string' },
    'node-arg': { type: 'string', multiple: true },
  },
});

const root = process.env.LATCHKEY_BENCH_ROOT ?? process.cwd();
const smoke = values.smoke!;
const only = values.only?.split(',').map((s) => s.trim());
const unknown = only?.filter((id) => !BENCHMARKS.some((b) => b.id === id)) ?? [];
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; known: ${BENCHMARKS.map((b) => b.id).join(', ')}`);
  process.exit(2);
}
const profileDir = resolve(values['profile-dir'] ?? join(root, 'bench-profiles'));
const profiled = new Set(values.profile ?? []);
if (profiled.size) mkdirSync(profileDir, { recursive: true });

const tmp = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
const ctx: BenchContext = {
  root,
  build: process.env.LATCHKEY_BENCH_BUILD ?? join(root, 'node_modules/.cache/latchkey-bench'),
  tmp,
  smoke,
  clients: Number(values.clients ?? (smoke ? 4 : 32)),
  loginClients: smoke ? 2 : 8,
  warmupMs: Number(values.warmup ?? (smoke ? 0.2 : 1)) * 1000,
  durationMs: Number(values.duration ?? (smoke ? 0.5 : 5)) * 1000,
  rounds: Number(values.rounds ?? (smoke ? 1 : 3)),
  latchkeyBin: resolve(values['latchkey-bin'] ?? join(root, 'packages/server/bin/latchkey.js')),
  latchkeyEnv: Object.fromEntries(
    (values['latchkey-env'] ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ),
  nodeArgs: (server) => [...(values['node-arg'] ?? []), ...(profiled.has(server) ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [])],
  filter: values.filter ?? null,
  log: (line) => console.log(line),
};

async function run(): Promise<{ report: Report; failed: boolean }> {
  const startedAt = new Date();
  const loadAverageAtStart = describeMachine().loadAverage;
  const results: Report['results'] = [];
  let failed = false;
  try {
    for (const benchmark of BENCHMARKS.filter((b) => !only || only.includes(b.id))) {
      const t0 = Date.now();
      try {
        const rows = await benchmark.run(ctx);
        results.push({ id: benchmark.id, title: benchmark.title, rows, seconds: (Date.now() - t0) / 1000 });
      } catch (error) {
        failed = true;
        console.error(`${benchmark.id} failed:`, error);
        results.push({ id: benchmark.id, title: benchmark.title, rows: [], seconds: (Date.now() - t0) / 1000, error: String(error) });
      }
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const settings = {
    clients: ctx.clients,
    loginClients: ctx.loginClients,
    warmupMs: ctx.warmupMs,
    durationMs: ctx.durationMs,
    rounds: ctx.rounds,
  };
  return {
    report: { startedAt: startedAt.toISOString(), smoke, machine: { ...describeMachine(), loadAverageAtStart }, settings, results },
    failed,
  };
}

// --from-json re-renders the Markdown of a saved run (e.g. after editing bench/report-notes.md).
const { report, failed } = values['from-json']
  ? { report: JSON.parse(readFileSync(values['from-json'], 'utf8')) as Report, failed: false }
  : await run();
if (values['from-json']) rmSync(tmp, { recursive: true, force: true });
if (values.json && !values['from-json']) {
  writeFileSync(
    values.json,
    JSON.stringify(report, (key, value: unknown) => (key === 'latencies' ? undefined : value), 2),
  );
}
const out = values.out ?? (report.smoke ? null : join(root, 'docs/benchmarks.md'));
const markdown = renderReport(report);
if (out) {
  writeFileSync(out, markdown);
  console.log(`wrote ${out}`);
} else {
  console.log(markdown);
}
process.exitCode = failed ? 1 : 0;
