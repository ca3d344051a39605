import { createHash, generateKeyPairSync, randomBytes, randomUUID, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import SQLite from 'better-sqlite3';
import type { Measured } from '../lib/compare.js';
import { compare, served } from '../lib/compare.js';
import type { BenchContext } from '../lib/context.js';
import { rawRequest } from '../lib/http1.js';
import { migrate, startLatchkey } from '../lib/latchkey.js';
import type { VirtualClient } from '../lib/load.js';
import { startServer } from '../lib/process.js';
import { emptyRow, type Benchmark, type Row } from '../lib/result.js';
import { seedFillerSessions } from '../lib/seed.js';

/** Runs `op` back to back in this process for the window; CPU and wall per operation. */
function loop(ctx: BenchContext, label: string, op: (i: number) => void): Measured {
  const warmEnd = performance.now() + ctx.warmupMs / 4;
  for (let i = 0; performance.now() < warmEnd; i++) op(i);
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  const end = start + ctx.durationMs / 2;
  let n = 0;
  while (performance.now() < end) op(n++);
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu0);
  const perOpUs = (seconds * 1e6) / n;
  return {
    label,
    rps: n / seconds,
    p50: perOpUs / 1000,
    p99: NaN,
    requests: n,
    errors: 0,
    firstError: null,
    roundRps: [n / seconds],
    rssMiB: null,
    cpuPerRequestUs: (used.user + used.system) / n,
  };
}

function signer(alg: 'RS256' | 'ES256'): (i: number) => void {
  const { privateKey } =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const key: KeyObject | { key: KeyObject; dsaEncoding: 'ieee-p1363' } =
    alg === 'RS256' ? privateKey : { key: privateKey, dsaEncoding: 'ieee-p1363' };
  const data = Buffer.from(`${'h'.repeat(60)}.${'p'.repeat(420)}`);
  return () => void sign('sha256', data, key);
}

/** Latchkey's schema (migrated by its CLI) in a file database opened as the server opens it. */
async function sqliteOps(ctx: BenchContext): Promise<{ rotate: (i: number) => void; audit: (i: number) => void; close(): void }> {
  const dataDir = mkdtempSync(join(ctx.tmp, 'primitives-'));
  await migrate(ctx, { dataDir });
  const path = join(dataDir, 'latchkey.db');
  await seedFillerSessions(`sqlite:${path}`, 1000, () => {});
  const db = new SQLite(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  const sessions = (db.prepare("select id from sessions where user_agent = 'bench-seed'").all() as Array<{ id: string }>).map((r) => ({
    id: r.id,
    generation: 0,
  }));
  const update = db.prepare(
    'update sessions set refresh_generation = ?, refresh_parent_id = ?, last_used_at = ?, idle_expires_at = ? where id = ? and refresh_generation = ? and ended_at is null',
  );
  const insert = db.prepare(
    'insert into refresh_tokens (id, session_id, hash, generation, created_at, expires_at) values (?, ?, ?, ?, ?, ?)',
  );
  const rotation = db.transaction((s: { id: string; generation: number }, now: number) => {
    if (update.run(s.generation + 1, randomUUID(), now, now + 86_400_000, s.id, s.generation).changes !== 1) throw new Error('lost');
    insert.run(
      randomUUID(),
      s.id,
      createHash('sha256').update(randomBytes(32)).digest('base64url'),
      s.generation + 1,
      now,
      now + 86_400_000,
    );
    s.generation++;
  });
  const auditInsert = db.prepare(
    'insert into audit_events (id, type, severity, user_id, session_id, ip, user_agent, request_id, at, data) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
  );
  return {
    rotate: (i) => rotation(sessions[i % sessions.length]!, Date.now()),
    audit: (i) => {
      const now = Date.now();
      auditInsert.run(
        now.toString(36) + randomBytes(6).toString('hex') + i,
        'refresh_succeeded',
        'info',
        'u',
        's',
        '127.0.0.1',
        'bench',
        randomUUID(),
        now,
        '{}',
      );
    },
    close: () => db.close(),
  };
}

function bareClients(ctx: BenchContext): VirtualClient[] {
  const raw = rawRequest(
    'POST',
    '/auth/refresh',
    { 'content-type': 'application/json' },
    JSON.stringify({ refresh_token: `lkrt_${'a'.repeat(43)}` }),
  );
  return Array.from({ length: ctx.clients }, () => ({ next: () => raw, take: (r) => (r.status === 200 ? null : `${r.status}`) }));
}

function row(m: Measured, note: string): Row {
  const r = emptyRow('primitives', m.label);
  r.latchkey = m;
  r.notes.push(note);
  return r;
}

/**
 * What the numbers above are made of, measured on this machine in this run: one
 * signature, one rotation transaction, one audit row, and a bare node:http server (the
 * floor for any Node HTTP server under this driver).
 */
export const primitivesBenchmark: Benchmark = {
  id: 'primitives',
  title: 'Primitives',
  async run(ctx) {
    ctx.log('primitives: signing, SQLite, bare HTTP');
    const rows: Row[] = [];
    rows.push(
      row(loop(ctx, 'RS256 signature (node:crypto, one thread)', signer('RS256')), 'what every RS256 token costs, on either server'),
    );
    rows.push(
      row(loop(ctx, 'ES256 signature (node:crypto, one thread)', signer('ES256')), 'what every ES256 token costs, on either server'),
    );
    const sqlite = await sqliteOps(ctx);
    try {
      rows.push(
        row(
          loop(ctx, 'SQLite rotation transaction (update session, insert token; better-sqlite3, WAL)', sqlite.rotate),
          "the durable part of a refresh, without Kysely; oidc-provider's in-memory adapter has none",
        ),
      );
      rows.push(row(loop(ctx, 'SQLite audit row insert (autocommit)', sqlite.audit), 'one audit row per refresh and per login'));
    } finally {
      sqlite.close();
    }
    const [bare, healthz] = await compare(ctx, [
      served(
        'bare node:http server (fixed JSON answer)',
        async (c) => {
          const dataDir = mkdtempSync(join(c.tmp, 'bare-'));
          return startServer((port) => ({
            name: 'bare-http',
            script: join(c.build, 'servers', 'bare-http.js'),
            env: { NODE_ENV: 'production', PORT: String(port) },
            logFile: join(dataDir, 'server.log'),
            readyPath: '/',
          }));
        },
        async (c) => bareClients(c),
      ),
      served(
        'Latchkey GET /healthz (Fastify and its hooks; no storage, no signature)',
        (c) => startLatchkey(c, { alg: 'ES256' }),
        async (c) => {
          const raw = rawRequest('GET', '/healthz', {});
          return Array.from({ length: c.clients }, () => ({ next: () => raw, take: (r) => (r.status === 200 ? null : `${r.status}`) }));
        },
      ),
    ]);
    rows.push(row(bare!, `${ctx.clients} clients, same driver: no Node HTTP server answers more, or for less CPU per request`));
    rows.push(
      row(
        healthz!,
        'what every Latchkey request costs before any work: routing, the access-log line, security headers, request id, metrics',
      ),
    );
    return rows;
  },
};
