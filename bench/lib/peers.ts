import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { jsonField, type VirtualClient } from './load.js';
import { jsonRequest, once, rawRequest } from './http1.js';
import { startServer, type ServerProcess } from './process.js';
import type { BenchContext } from './context.js';
import { basicAuth, clientCredentialsClient, oauthRefreshClient } from './latchkey.js';
import { CC_CLIENT, REFRESH_CLIENT, RESOURCE, SEED_PATH } from '../servers/oidc-provider-clients.js';

async function startPeer(
  ctx: BenchContext,
  name: string,
  server: string,
  env: Record<string, string>,
  readyPath: string,
): Promise<ServerProcess> {
  const dataDir = mkdtempSync(join(ctx.tmp, `${name}-`));
  return startServer((port) => ({
    name,
    script: join(ctx.build, 'servers', `${server}.js`),
    env: {
      NODE_ENV: 'production',
      PORT: String(port),
      BENCH_SERVER: server,
      BENCH_DATA_DIR: dataDir,
      LATCHKEY_BENCH_ROOT: ctx.root,
      ...env,
    },
    logFile: join(dataDir, 'server.log'),
    readyPath,
    nodeArgs: ctx.nodeArgs(server),
  }));
}

export function startOidcProvider(ctx: BenchContext, alg: string): Promise<ServerProcess> {
  return startPeer(ctx, `oidc-provider-${alg}`, 'oidc-provider', { BENCH_ALG: alg }, '/.well-known/openid-configuration');
}

/** One refresh-token chain per client, minted in the provider's own store. */
export async function oidcRefreshClients(ctx: BenchContext, port: number): Promise<VirtualClient[]> {
  const response = await once(port, rawRequest('GET', `${SEED_PATH}?n=${ctx.clients}`, {}));
  if (response.status !== 200) throw new Error(`oidc-provider seed: ${response.status} ${response.body}`);
  const tokens = (JSON.parse(response.body) as { refresh_tokens: string[] }).refresh_tokens;
  const authorization = basicAuth(REFRESH_CLIENT.id, REFRESH_CLIENT.secret);
  return tokens.map((token) => oauthRefreshClient(token, authorization, '/token'));
}

export function oidcClientCredentialsClients(ctx: BenchContext): VirtualClient[] {
  const authorization = basicAuth(CC_CLIENT.id, CC_CLIENT.secret);
  return Array.from({ length: ctx.clients }, () =>
    clientCredentialsClient(authorization, { scope: 'api:read', resource: RESOURCE }, '/token'),
  );
}

export const BETTER_AUTH_EMAIL = 'bench@better-auth.example';
export const BETTER_AUTH_PASSWORD = 'bench-password-7f3a9c1e';

/** better-auth with its default scrypt, or with argon2id at Latchkey's parameters. */
export async function startBetterAuth(ctx: BenchContext, hash: 'scrypt' | 'argon2id'): Promise<ServerProcess> {
  const server = await startPeer(ctx, `better-auth-${hash}`, 'better-auth', { BENCH_HASH: hash }, '/__bench/ready');
  const response = await once(
    server.port,
    jsonRequest('/api/auth/sign-up/email', { email: BETTER_AUTH_EMAIL, password: BETTER_AUTH_PASSWORD, name: 'Bench' }),
  );
  if (response.status !== 200) {
    await server.stop();
    throw new Error(`better-auth sign-up: ${response.status} ${response.body}`);
  }
  return server;
}

export function betterAuthLoginClient(): VirtualClient {
  const raw = jsonRequest('/api/auth/sign-in/email', { email: BETTER_AUTH_EMAIL, password: BETTER_AUTH_PASSWORD });
  return {
    next: () => raw,
    take: (response) =>
      response.status === 200 && jsonField(response.body, 'token') ? null : `${response.status} ${response.body.slice(0, 200)}`,
  };
}
