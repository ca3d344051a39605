import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresAvailable } from '../packages/server/test/support/postgres.js';

// Benchmarks are not tests: this only proves that each one still runs end to end and
// produces numbers (a few seconds of load each, `--smoke`). It asserts nothing about speed.
const BENCHMARKS = ['refresh', 'client-credentials', 'login', 'growth-sqlite', 'growth-postgres', 'primitives'];

interface Side {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  firstError: string | null;
}
interface SmokeReport {
  smoke: boolean;
  results: Array<{
    id: string;
    error?: string;
    rows: Array<{
      label: string;
      alg: string | null;
      pending: string | null;
      latchkey: Side | null;
      peer: Side | null;
      ratio: number | null;
    }>;
  }>;
}

const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function smoke(id: string): Promise<SmokeReport> {
  const json = join(dir, `${id}.json`);
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['bench/run.js', '--smoke', '--only', id, '--json', json],
      { env: { ...process.env, BENCH_SKIP_BUILD: '1' }, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`bench ${id} failed: ${error.message}\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`));
        else resolve(JSON.parse(readFileSync(json, 'utf8')) as SmokeReport);
      },
    );
  });
}

function expectNumbers(side: Side | null, what: string): void {
  expect(side, what).not.toBeNull();
  expect(side!.firstError, what).toBeNull();
  expect(side!.errors, what).toBe(0);
  expect(side!.requests, what).toBeGreaterThan(0);
  expect(side!.rps, what).toBeGreaterThan(0);
  // A primitive is timed as a whole loop, so it has throughput but no per-request latencies.
  if (!what.startsWith('primitives:')) expect(Number.isFinite(side!.p50) && Number.isFinite(side!.p99), what).toBe(true);
}

describe.concurrent('benchmarks (smoke)', () => {
  for (const id of BENCHMARKS) {
    const skip = id === 'growth-postgres' && !postgresAvailable();
    it.skipIf(skip)(`${id} runs and produces numbers`, { timeout: 120_000 }, async () => {
      const report = await smoke(id);
      expect(report.smoke).toBe(true);
      const result = report.results.find((r) => r.id === id)!;
      expect(result.error).toBeUndefined();
      expect(result.rows.length).toBeGreaterThan(0);
      for (const row of result.rows) {
        const what = `${id}: ${row.label} ${row.alg ?? ''}`;
        // A row whose feature is not built yet says so instead of measuring.
        if (row.pending) continue;
        // A summary row (growth from the smallest to the largest store) carries a ratio.
        if (row.latchkey === null) {
          expect(Number.isFinite(row.ratio), what).toBe(true);
          continue;
        }
        expectNumbers(row.latchkey, `${what} (Latchkey)`);
        if (row.peer) expectNumbers(row.peer, `${what} (peer)`);
      }
      expect(result.rows.some((row) => !row.pending)).toBe(true);
    });
  }
});
