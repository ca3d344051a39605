import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, totalmem, type } from 'node:os';
import { join } from 'node:path';
import type { Measured } from './compare.js';
import type { Row } from './result.js';

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
  loadAverage: number[];
  /** When the run began (the other figure is at its end). */
  loadAverageAtStart?: number[];
}

export function describeMachine(): Machine {
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: availableParallelism(),
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${type()} ${release()}`,
    node: process.version,
    loadAverage: loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

export interface Report {
  startedAt: string;
  smoke: boolean;
  machine: Machine;
  settings: { clients: number; loginClients: number; warmupMs: number; durationMs: number; rounds: number };
  results: Array<{ id: string; title: string; rows: Row[]; seconds: number; error?: string }>;
}

const int = (n: number | null | undefined) =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : Math.round(n).toLocaleString('en-US');
const ms = (n: number | null | undefined) =>
  n === null || n === undefined || !Number.isFinite(n) ? '-' : n < 10 ? n.toFixed(2) : n.toFixed(1);
const x = (n: number | null | undefined) => (n === null || n === undefined || !Number.isFinite(n) ? '-' : `${n.toFixed(2)}x`);

function side(m: Measured | null): string[] {
  if (!m) return ['-', '-', '-'];
  return [int(m.rps) + (m.errors ? ` (${m.errors} errors)` : ''), ms(m.p50), ms(m.p99)];
}

/** Server CPU (all its threads) per request: steadier than req/s when the machine is shared. */
function cpu(m: Measured | null, unit: 'us' | 'ms' = 'us'): string {
  if (!m || m.cpuPerRequestUs === null || !Number.isFinite(m.cpuPerRequestUs)) return '-';
  return unit === 'us' ? int(m.cpuPerRequestUs) : (m.cpuPerRequestUs / 1000).toFixed(1);
}

function spread(row: Row): string {
  const finite = row.roundRatios.filter(Number.isFinite);
  if (finite.length < 2) return x(row.ratio);
  return `${x(row.ratio)} (${Math.min(...finite).toFixed(2)}-${Math.max(...finite).toFixed(2)})`;
}

function met(row: Row): string {
  if (row.pending) return 'pending';
  if (!row.target) return '';
  return row.target.met === null ? 'n/a (errors)' : row.target.met ? 'met' : '**not met**';
}

function table(header: string[], lines: string[][]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}

function tokenTable(rows: Row[]): string {
  return table(
    [
      'endpoint',
      'alg',
      'Latchkey req/s',
      'p50 ms',
      'p99 ms',
      'CPU µs/req',
      'oidc-provider req/s',
      'p50 ms',
      'p99 ms',
      'CPU µs/req',
      'Latchkey/peer req/s (rounds)',
      'target',
      '',
    ],
    rows.map((r) =>
      r.pending
        ? [r.label, r.alg ?? '', 'pending', '', '', '', '', '', '', '', '', r.target?.text ?? '', `pending: ${r.pending}`]
        : [
            r.label,
            r.alg ?? '',
            ...side(r.latchkey),
            cpu(r.latchkey),
            ...side(r.peer),
            cpu(r.peer),
            spread(r),
            r.target?.text ?? '',
            met(r),
          ],
    ),
  );
}

function loginTable(rows: Row[]): string {
  return table(
    [
      'comparison',
      'Latchkey logins/s',
      'p50 ms',
      'p99 ms',
      'CPU ms/login',
      'other',
      'per s',
      'p50 ms',
      'p99 ms',
      'CPU ms',
      'ratio (rounds)',
      'target',
      '',
    ],
    rows.map((r) => [
      r.label,
      ...side(r.latchkey),
      cpu(r.latchkey, 'ms'),
      r.peer?.label ?? '',
      ...side(r.peer),
      cpu(r.peer, 'ms'),
      spread(r),
      r.target?.text ?? '',
      met(r),
    ]),
  );
}

function growthTable(rows: Row[]): string {
  const sizes = rows.filter((r) => !r.target && !r.pending);
  const summaries = rows.filter((r) => r.target || r.pending);
  const body = table(
    ['store, sessions stored', 'refresh req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'server RSS MiB'],
    sizes.map((r) => [r.label, ...side(r.latchkey), cpu(r.latchkey), r.latchkey?.rssMiB ? r.latchkey.rssMiB.toFixed(0) : '-']),
  );
  const lines = summaries.map((r) =>
    r.pending ? `- ${r.label}: pending (${r.pending})` : `- ${r.label}: ${r.target!.text}; throughput ratio ${spread(r)} -> ${met(r)}`,
  );
  return `${body}\n\n${lines.join('\n')}`;
}

export function renderReport(report: Report): string {
  const m = report.machine;
  const s = report.settings;
  const rows = report.results.flatMap((r) => r.rows);
  const group = (g: string) => rows.filter((r) => r.group === g);
  const out: string[] = [];
  out.push('# Benchmarks');
  out.push('');
  out.push(
    `Written by \`npm run bench\`${report.smoke ? ' (smoke mode: these numbers prove only that the benchmarks run)' : ''} on ${report.startedAt.slice(0, 16).replace('T', ' ')} UTC; edit bench/, not this file.`,
  );
  out.push('');
  out.push('## Machine');
  out.push('');
  out.push(
    table(
      ['', ''],
      [
        ['CPU', `${m.cpu}, ${m.cores} cores`],
        ['memory', `${m.memoryGiB} GiB`],
        ['OS', m.os],
        ['Node', m.node],
        ...(m.loadAverageAtStart ? [['load average at the start (1, 5, 15 min)', m.loadAverageAtStart.join(', ')]] : []),
        ['load average at the end (1, 5, 15 min)', m.loadAverage.join(', ')],
      ],
    ),
  );
  out.push('');
  out.push('## Method');
  out.push('');
  out.push(
    [
      `- Every server runs in its own process on loopback; the load driver (bench/lib/load.ts) is a third process on the same ${m.cores} cores, so all numbers include the driver's share of the CPU.`,
      `- ${s.clients} virtual clients on the token endpoints (${s.loginClients} on logins), each a closed loop on its own keep-alive connection; a refresh client follows its own token chain (each request presents the token the previous response returned).`,
      `- Each side is measured ${s.rounds} time(s) for ${s.durationMs / 1000} s after ${s.warmupMs / 1000} s of warm-up, alternating (A B, B A, ...) so that other load on the machine falls on both sides; req/s is pooled over the rounds, p50/p99 over all requests, and the ratio column shows the pooled ratio with the lowest and highest round ratio.`,
      '- Latchkey runs as deployed: `latchkey serve`, `NODE_ENV=production`, logging at `info` to a file, durable SQLite (the default file database, WAL, `synchronous=NORMAL`) in a temp directory.',
      "- oidc-provider (v9) runs with its default in-memory adapter, `rotateRefreshToken: true`, and access tokens as JWTs (resource indicator with `accessTokenFormat: 'jwt'`) signed with the same algorithm as Latchkey's; the refresh tokens it starts from are minted in its store (scope without `openid`, so no ID token is signed either).",
      '- better-auth runs over better-sqlite3 (same pragmas), its rate limiter off; the bench user and its peer each sign in with one account.',
      '- Growth: sessions (each with a refresh token) are bulk-inserted with SQL before the server starts; the refresh load then runs on fresh sessions among them; RSS is the resident set of the server process, read every 250 ms while it is under load (median of all samples over the rounds).',
    ].join('\n'),
  );
  out.push('');
  out.push('## Results');
  out.push('');
  out.push('### Refresh-token rotation');
  out.push('');
  out.push(tokenTable(group('refresh')));
  out.push('');
  out.push('### client_credentials');
  out.push('');
  out.push(tokenTable(group('client_credentials')));
  out.push('');
  out.push('### Password login');
  out.push('');
  out.push(loginTable(group('login')));
  for (const r of group('login')) for (const note of r.notes) out.push(`\n- ${note}`);
  out.push('');
  out.push('### Growth with the number of stored sessions (refresh, ES256)');
  out.push('');
  out.push(growthTable(group('growth')));
  out.push('');
  const primitives = group('primitives');
  if (primitives.length) {
    out.push('### What a request is made of (this machine, this run)');
    out.push('');
    out.push(
      table(
        ['primitive', 'per second', 'CPU µs each', ''],
        primitives.map((r) => [r.label, int(r.latchkey?.rps), cpu(r.latchkey), r.notes.join('; ')]),
      ),
    );
    out.push('');
  }
  const failures = report.results.filter((r) => r.error);
  if (failures.length) {
    out.push('### Benchmarks that failed in this run');
    out.push('');
    for (const f of failures) out.push(`- ${f.id}: ${f.error}`);
    out.push('');
  }
  out.push('## Targets');
  out.push('');
  for (const r of rows.filter((row) => row.target || row.pending)) {
    out.push(
      `- ${r.group} ${r.label}${r.alg ? ` ${r.alg}` : ''}: ${r.target?.text ?? ''} -> ${met(r)}${r.ratio !== null ? ` (${x(r.ratio)})` : ''}`,
    );
  }
  out.push('');
  const notes = join(process.env.LATCHKEY_BENCH_ROOT ?? process.cwd(), 'bench', 'report-notes.md');
  if (!report.smoke && existsSync(notes)) out.push(readFileSync(notes, 'utf8').trim(), '');
  return out.join('\n');
}
