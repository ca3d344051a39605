/**
 * Sizing numbers for docs/deployment.md: one or three server processes on a throwaway
 * PostgreSQL (fsync on) and Redis, loaded with autocannon over loopback for a bounded
 * time. Run: `npx vite-node packages/server/test/cluster/sizing.ts [seconds]`.
 * Not a test: it prints a table and asserts nothing about speed.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { call } from '../support/client.js';
import { startPostgres } from '../support/postgres.js';
import { startRedis } from '../support/redis.js';
import { buildServer, startNode, type ServerNode } from './nodes.js';

/** The part of autocannon's result used here (the package ships no types). */
interface LoadResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (options: Record<string, unknown>) => Promise<LoadResult>;

const SECONDS = Math.min(Number(process.argv[2] ?? 10), 30);
const PASSWORD = 'sizing passphrase 123';

interface Row {
  scenario: string;
  rps: number;
  /** CPU milliseconds per request spent in the Latchkey node(s) and in PostgreSQL. */
  nodeCpuMs: number;
  dbCpuMs: number;
  p50: number;
  p99: number;
  non2xx: number;
}

interface Request {
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  /** The body for a connection's next request; `context` lives as long as the connection. */
  body?: (context: Record<string, unknown>) => string;
}

/** CPU time (user + system) of processes, in ms, from /proc (Linux). */
function cpuMs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // utime + stime, plus cutime + cstime: the CPU of children that exited (backends
      // of connections a pool closed), so nothing done during the run goes uncounted.
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    } catch {
      /* exited */
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

let dbPids: () => number[] = () => [];

async function load(name: string, targets: ServerNode[], request: Request, connections = 32): Promise<Row> {
  const nodePids = targets.map((t) => t.process.pid!);
  const [node0, db0] = [cpuMs(nodePids), cpuMs(dbPids())];
  const results = await Promise.all(
    targets.map((t) =>
      autocannon({
        url: t.url,
        connections: Math.max(1, Math.round(connections / targets.length)),
        duration: SECONDS,
        requests: [
          {
            method: request.method,
            path: request.path,
            headers: { 'content-type': 'application/json', ...request.headers },
            setupRequest: (req: any, context: Record<string, unknown>) => (request.body ? { ...req, body: request.body(context) } : req),
          },
        ],
      }),
    ),
  );
  const rps = results.reduce((sum, r) => sum + r.requests.average, 0);
  const total = results.reduce((sum, r) => sum + r.requests.total, 0);
  const [node1, db1] = [cpuMs(nodePids), cpuMs(dbPids())];
  return {
    scenario: name,
    rps: Math.round(rps),
    nodeCpuMs: Math.round(((node1 - node0) / total) * 100) / 100,
    dbCpuMs: Math.round(((db1 - db0) / total) * 100) / 100,
    p50: Math.max(...results.map((r) => r.latency.p50)),
    p99: Math.max(...results.map((r) => r.latency.p99)),
    non2xx: results.reduce((sum, r) => sum + r.non2xx + r.errors, 0),
  };
}

async function main() {
  const loadAtStart = loadavg()[0]!.toFixed(1);
  const [postgres, redis, build] = await Promise.all([startPostgres({ durable: true }), startRedis(), buildServer()]);
  const nodes: ServerNode[] = [];
  dbPids = () => postgres.pids();
  try {
    const env = {
      LATCHKEY_DATABASE_URL: await postgres.createDatabase(),
      LATCHKEY_REDIS_URL: redis.url,
      LATCHKEY_SECRET: 'sizing-secret-sizing-secret-sizing-secret-000',
      LATCHKEY_ISSUER: 'http://latchkey.sizing.test',
      LATCHKEY_LOG_LEVEL: 'error',
    };
    nodes.push(...(await Promise.all(['n1', 'n2', 'n3'].map((n) => startNode(build.entry, n, env)))));
    const [one] = nodes as [ServerNode];
    await call(one.url, 'POST', '/auth/register', { body: { email: 'size@example.com', password: PASSWORD, name: 'Size' } });
    const grant = async () =>
      (await call(one.url, 'POST', '/auth/login', { body: { email: 'size@example.com', password: PASSWORD, transport: 'bearer' } }))
        .body as {
        access_token: string;
        refresh_token: string;
      };
    // One session per connection, as real clients have: rotation writes do not queue
    // on one row. Each connection refreshes its own session with the newest token.
    const sessions: Array<{ access_token: string; refresh_token: string }> = [];
    for (let i = 0; i < 32; i++) sessions.push(await grant());
    let next = 0;
    const refreshBody = (context: Record<string, unknown>) => {
      context.grant ??= sessions[next++ % sessions.length];
      return JSON.stringify({ refresh_token: (context.grant as { refresh_token: string }).refresh_token });
    };
    const rows: Row[] = [];
    for (const [label, targets] of [
      ['1 node', nodes.slice(0, 1)],
      ['3 nodes', nodes],
    ] as const) {
      next = 0;
      // Each connection presents its session's token again and again: every request is a
      // retry of the current parent and gets a new successor, i.e. a full rotation write
      // (conditional UPDATE + INSERT in one transaction, an audit row, a signed JWT).
      rows.push(await load(`refresh (rotation), ${label}`, [...targets], { method: 'POST', path: '/auth/refresh', body: refreshBody }));
      rows.push(
        await load(`GET /auth/session (authenticated), ${label}`, [...targets], {
          method: 'GET',
          path: '/auth/session',
          headers: { authorization: `Bearer ${sessions[0]!.access_token}` },
        }),
      );
      const loginBody = JSON.stringify({ email: 'size@example.com', password: PASSWORD, transport: 'bearer' });
      rows.push(await load(`login (argon2id), ${label}`, [...targets], { method: 'POST', path: '/auth/login', body: () => loginBody }, 8));
    }
    console.log(
      `\n${SECONDS} s per scenario, autocannon over loopback, PostgreSQL 15 (fsync on) + Redis 7, Node ${process.version}, load average before: ${loadAtStart}`,
    );
    console.log('| scenario | req/s | p50 ms | p99 ms | non-2xx | node CPU ms/req | PostgreSQL CPU ms/req |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.non2xx} | ${r.nodeCpuMs} | ${r.dbCpuMs} |`);
  } finally {
    await Promise.all(nodes.map((n) => n.stop()));
    await Promise.all([postgres.stop(), redis.stop()]);
    build.remove();
  }
}

await main();
