import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { scrypt } from 'node:crypto';
import { hash as argon2Hash } from '@node-rs/argon2';
import { ARGON2_PARAMS } from '../../packages/server/src/adapters/argon2-hasher.js';
import type { BenchContext } from '../lib/context.js';
import { compare, served, type Measured, type Subject } from '../lib/compare.js';
import { jsonRequest } from '../lib/http1.js';
import { BENCH_EMAIL, BENCH_PASSWORD, startLatchkey } from '../lib/latchkey.js';
import { jsonField, type LoadResult, type VirtualClient } from '../lib/load.js';
import { betterAuthLoginClient, startBetterAuth } from '../lib/peers.js';
import { emptyRow, ratioOf, type Benchmark, type Row } from '../lib/result.js';
import { quantile, sortedCopy } from '../lib/stats.js';

/** better-auth's default password hash (@better-auth/utils/password, node build). */
export const BETTER_AUTH_SCRYPT = { N: 16384, r: 16, p: 1, keylen: 64 } as const;
const LOGIN_TARGET = 0.9;

/**
 * The machine's ceiling for one password check per login: `cores` hashes in flight at
 * once (as the server's hasher allows), back to back, in this process while no server
 * is under load.
 */
function hashLimit(label: string, hashOnce: (password: string) => Promise<unknown>): Subject {
  return {
    label,
    async prepare() {
      return {
        async measure({ warmupMs, durationMs }): Promise<LoadResult> {
          const start = performance.now();
          const measureFrom = start + warmupMs;
          const end = measureFrom + durationMs;
          const latencies: number[] = [];
          let allRequests = 0;
          await Promise.all(
            Array.from({ length: availableParallelism() }, async () => {
              let measured = 0;
              for (;;) {
                const sent = performance.now();
                if (sent >= end && measured > 0) return;
                await hashOnce(BENCH_PASSWORD);
                allRequests++;
                if (sent >= measureFrom) {
                  latencies.push(performance.now() - sent);
                  measured++;
                }
              }
            }),
          );
          const sorted = sortedCopy(latencies);
          const seconds = durationMs / 1000;
          return {
            requests: latencies.length,
            allRequests,
            errors: 0,
            firstError: null,
            seconds,
            rps: latencies.length / seconds,
            latencies,
            p50: quantile(sorted, 0.5),
            p99: quantile(sorted, 0.99),
          };
        },
        // This process does nothing else meanwhile: its CPU is the hashing's.
        cpuSeconds: () => {
          const { user, system } = process.cpuUsage();
          return (user + system) / 1e6;
        },
        stop: async () => {},
      };
    },
  };
}

function latchkeyLoginClient(): VirtualClient {
  const raw = jsonRequest('/auth/login', { email: BENCH_EMAIL, password: BENCH_PASSWORD, transport: 'bearer' });
  return {
    next: () => raw,
    take: (response) =>
      response.status === 200 && jsonField(response.body, 'refresh_token') ? null : `${response.status} ${response.body.slice(0, 200)}`,
  };
}

const clients = (ctx: BenchContext, make: () => VirtualClient) => Array.from({ length: ctx.loginClients }, make);

export const loginBenchmark: Benchmark = {
  id: 'login',
  title: 'Password login',
  async run(ctx) {
    ctx.log('password login: Latchkey vs better-auth, beside the hash limits');
    const argon2Limit = hashLimit('argon2id limit', (password) => argon2Hash(password, ARGON2_PARAMS));
    const scryptLimit = hashLimit(
      'scrypt limit',
      (password) =>
        new Promise((resolve, reject) =>
          scrypt(
            password,
            'bench-salt-0123456789abcdef',
            BETTER_AUTH_SCRYPT.keylen,
            { ...BETTER_AUTH_SCRYPT, maxmem: 128 * BETTER_AUTH_SCRYPT.N * BETTER_AUTH_SCRYPT.r * 2 },
            (error, key) => (error ? reject(error) : resolve(key)),
          ),
        ),
    );
    const latchkey = served(
      'Latchkey /auth/login',
      (c) => startLatchkey(c, { alg: 'RS256' }),
      async (c) => clients(c, latchkeyLoginClient),
    );
    const betterScrypt = served(
      'better-auth (scrypt)',
      (c) => startBetterAuth(c, 'scrypt'),
      async (c) => clients(c, betterAuthLoginClient),
    );
    const betterArgon2 = served(
      'better-auth (argon2id)',
      (c) => startBetterAuth(c, 'argon2id'),
      async (c) => clients(c, betterAuthLoginClient),
    );
    const [limit, l, bs, ba, slimit] = (await compare(ctx, [argon2Limit, latchkey, betterScrypt, betterArgon2, scryptLimit])) as Measured[];

    const argon2 = `argon2id m=${ARGON2_PARAMS.memoryCost} KiB, t=${ARGON2_PARAMS.timeCost}, p=${ARGON2_PARAMS.parallelism}`;
    const scryptText = `scrypt N=${BETTER_AUTH_SCRYPT.N}, r=${BETTER_AUTH_SCRYPT.r}, p=${BETTER_AUTH_SCRYPT.p}`;
    const rows: Row[] = [];
    const limitRow = emptyRow('login', `Latchkey POST /auth/login (${argon2}) vs the argon2id limit`, 'RS256');
    Object.assign(limitRow, { latchkey: l, peer: limit }, ratioOf(l!, limit!));
    limitRow.target = { text: `>= ${LOGIN_TARGET} of the argon2id limit`, met: l!.errors === 0 ? limitRow.ratio! >= LOGIN_TARGET : null };
    limitRow.notes.push(
      `limit: ${availableParallelism()} hashes in flight (one per core, as the server's hasher allows), no server running`,
    );
    rows.push(limitRow);

    const scryptRow = emptyRow('login', `vs better-auth email sign-in, its default ${scryptText} (node:crypto)`, null);
    Object.assign(scryptRow, { latchkey: l, peer: bs }, ratioOf(l!, bs!));
    scryptRow.notes.push(`better-auth reaches ${(bs!.rps / slimit!.rps).toFixed(2)} of its own scrypt limit (${slimit!.rps.toFixed(0)}/s)`);
    rows.push(scryptRow);

    const argonRow = emptyRow('login', `vs better-auth email sign-in with ${argon2} (same work)`, null);
    Object.assign(argonRow, { latchkey: l, peer: ba }, ratioOf(l!, ba!));
    argonRow.notes.push(`better-auth reaches ${(ba!.rps / limit!.rps).toFixed(2)} of the argon2id limit`);
    rows.push(argonRow);
    return rows;
  },
};
