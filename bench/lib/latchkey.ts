import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { jsonField, type VirtualClient } from './load.js';
import { formRequest, jsonRequest, once } from './http1.js';
import { startServer, type ServerProcess } from './process.js';
import type { BenchContext } from './context.js';

export const BENCH_EMAIL = 'bench@latchkey.example';
export const BENCH_PASSWORD = 'bench-password-7f3a9c1e';
const SECRET = 'bench-secret-bench-secret-bench-secret-0123456789';

export interface LatchkeyServer extends ServerProcess {
  env: Record<string, string>;
  dataDir: string;
  /** Runs `latchkey <args>` against the same configuration. */
  cli(args: string[]): Promise<string>;
}

function latchkeyEnv(ctx: BenchContext, port: number, dataDir: string, alg: string, databaseUrl?: string): Record<string, string> {
  return {
    // Deployed as in production (logging at info, as by default); the secret is required then.
    NODE_ENV: 'production',
    PORT: String(port),
    HOST: '127.0.0.1',
    LATCHKEY_ISSUER: `http://127.0.0.1:${port}`,
    LATCHKEY_SECRET: SECRET,
    LATCHKEY_DATA_DIR: dataDir,
    LATCHKEY_SIGNING_ALG: alg,
    ...(databaseUrl ? { LATCHKEY_DATABASE_URL: databaseUrl } : {}),
    ...ctx.latchkeyEnv,
  };
}

export function runCli(ctx: BenchContext, env: Record<string, string>, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [ctx.latchkeyBin, ...args],
      { env: { PATH: process.env.PATH ?? '', ...env, LATCHKEY_LOG_LEVEL: 'warn' } },
      (error, stdout, stderr) => (error ? reject(new Error(`latchkey ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout)),
    );
  });
}

/** Applies the migrations of a fresh database (so it can be seeded before the server starts). */
export async function migrate(ctx: BenchContext, options: { dataDir: string; databaseUrl?: string }): Promise<void> {
  await runCli(ctx, latchkeyEnv(ctx, 0, options.dataDir, 'ES256', options.databaseUrl), ['migrate']);
}

/**
 * `latchkey serve` in its own process: durable SQLite (the default file under the data
 * directory) unless a database URL is given.
 */
export async function startLatchkey(
  ctx: BenchContext,
  options: { alg: string; name?: string; dataDir?: string; databaseUrl?: string },
): Promise<LatchkeyServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(ctx.tmp, 'latchkey-'));
  const envFor = (port: number) => latchkeyEnv(ctx, port, dataDir, options.alg, options.databaseUrl);
  const server = await startServer((port) => ({
    name: options.name ?? `latchkey-${options.alg}`,
    script: ctx.latchkeyBin,
    args: ['serve'],
    env: envFor(port),
    logFile: join(dataDir, 'server.log'),
    readyPath: '/readyz',
    nodeArgs: ctx.nodeArgs('latchkey'),
  }));
  await register(server.port);
  const env = envFor(server.port);
  return { ...server, env, dataDir, cli: (args) => runCli(ctx, env, args) };
}

async function register(port: number): Promise<void> {
  const response = await once(port, jsonRequest('/auth/register', { email: BENCH_EMAIL, password: BENCH_PASSWORD, name: 'Bench' }));
  if (response.status !== 201 && response.status !== 409) throw new Error(`register: ${response.status} ${response.body}`);
}

/** A fresh bearer session (one argon2id verification on the server). */
export async function login(port: number): Promise<string> {
  const response = await once(port, jsonRequest('/auth/login', { email: BENCH_EMAIL, password: BENCH_PASSWORD, transport: 'bearer' }));
  const token = response.status === 200 ? jsonField(response.body, 'refresh_token') : null;
  if (!token) throw new Error(`login: ${response.status} ${response.body}`);
  return token;
}

/** Follows its own chain on POST /auth/refresh (bearer). */
export function refreshClient(token: string): VirtualClient {
  let current = token;
  return {
    next: () => jsonRequest('/auth/refresh', { refresh_token: current }),
    take(response) {
      const next = response.status === 200 ? jsonField(response.body, 'refresh_token') : null;
      if (!next) return `${response.status} ${response.body.slice(0, 200)}`;
      current = next;
      return null;
    },
  };
}

/** Follows its own chain on POST /oauth2/token grant_type=refresh_token. */
export function oauthRefreshClient(token: string, authorization: string, path = '/oauth2/token'): VirtualClient {
  let current = token;
  return {
    next: () => formRequest(path, { grant_type: 'refresh_token', refresh_token: current }, { authorization }),
    take(response) {
      const next = response.status === 200 ? jsonField(response.body, 'refresh_token') : null;
      if (!next) return `${response.status} ${response.body.slice(0, 200)}`;
      current = next;
      return null;
    },
  };
}

/** A client_credentials token request (RFC 6749 §4.4) with client_secret_basic. */
export function clientCredentialsClient(authorization: string, fields: Record<string, string>, path: string): VirtualClient {
  const raw = formRequest(path, { grant_type: 'client_credentials', ...fields }, { authorization });
  return {
    next: () => raw,
    take: (response) =>
      response.status === 200 && jsonField(response.body, 'access_token') ? null : `${response.status} ${response.body.slice(0, 200)}`,
  };
}

export function basicAuth(id: string, secret: string): string {
  // RFC 6749 §2.3.1: form-urlencode, then Basic.
  return `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}
