import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLatchkey, type Latchkey } from '../../../server/src/app.js';
import { loadConfig } from '../../../server/src/config.js';
import { signJws } from '../../../server/src/core/tokens/jws.js';
import { buildHttpServer, type HttpServer } from '../../../server/src/http/server.js';
import { call } from '../../../server/test/support/client.js';
import { freePort, TestClock } from '../../../server/test/support/server.js';

export const ADMIN = { email: 'admin@example.com', password: 'admin test passphrase' };
export const PASSWORD = 'resource server passphrase';

/**
 * A real Latchkey on loopback that can be stopped and started again on the same port and
 * database (a restart, as an operator would do), with a bootstrap admin whose token may
 * read the revocation feed.
 */
export interface RestartableLatchkey {
  url: string;
  clock: TestClock;
  latchkey: Latchkey;
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startLatchkey(env: Record<string, string> = {}): Promise<RestartableLatchkey> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-node-test-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      PORT: String(port),
      LATCHKEY_ISSUER: url,
      LATCHKEY_SECRET: 'test-secret-test-secret-test-secret-0123456789',
      LATCHKEY_DATA_DIR: dir,
      LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'latchkey.db')}`,
      LATCHKEY_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}`,
      ...env,
    },
    dir,
  );
  const clock = new TestClock();
  let app: HttpServer | null = null;
  const handle: RestartableLatchkey = {
    url,
    clock,
    latchkey: null as unknown as Latchkey,
    async start() {
      handle.latchkey = await createLatchkey(config, { clock, timers: false });
      app = await buildHttpServer(handle.latchkey);
      await app.listen({ port, host: '127.0.0.1' });
    },
    async stop() {
      await app?.close();
      await handle.latchkey.close();
      app = null;
    },
    async close() {
      if (app) await handle.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  await handle.start();
  return handle;
}

export interface Login {
  access_token: string;
  refresh_token: string;
  session: { id: string };
  user: { id: string; roles: string[] };
}

export async function register(url: string, email: string): Promise<void> {
  const res = await call(url, 'POST', '/auth/register', { body: { email, password: PASSWORD, name: email.split('@')[0] } });
  if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${JSON.stringify(res.body)}`);
}

export async function login(url: string, email: string, password = PASSWORD): Promise<Login> {
  const res = await call(url, 'POST', '/auth/login', { body: { email, password, transport: 'bearer' } });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Login;
}

export const adminLogin = (url: string) => login(url, ADMIN.email, ADMIN.password);

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

/**
 * A token signed by the server's real signing key (so it verifies against the published
 * JWKS) with claims and header changed as a test needs.
 */
export async function forge(
  latchkey: Latchkey,
  claims: Record<string, unknown>,
  header: { typ?: string; alg?: string; kid?: string } = {},
): Promise<string> {
  const { kid, alg, key } = latchkey.deps.keyRing.signingKey();
  return signJws({ alg, kid, typ: 'at+jwt', ...header } as { alg: typeof alg; kid: string; typ: string }, claims, key);
}

/** Polls `check` every 10 ms until it returns true or `ms` pass; returns the elapsed ms, or null on timeout. */
export async function within(ms: number, check: () => Promise<boolean> | boolean): Promise<number | null> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) return null;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The error a promise rejects with (fails the test when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<any> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
