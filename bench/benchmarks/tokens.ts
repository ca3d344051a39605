import type { BenchContext } from '../lib/context.js';
import { compare, served, type Subject } from '../lib/compare.js';
import { formRequest, once } from '../lib/http1.js';
import {
  basicAuth,
  clientCredentialsClient,
  login,
  oauthRefreshClient,
  refreshClient,
  startLatchkey,
  type LatchkeyServer,
} from '../lib/latchkey.js';
import { oidcClientCredentialsClients, oidcRefreshClients, startOidcProvider } from '../lib/peers.js';
import { emptyRow, Pending, ratioOf, type Benchmark, type Row } from '../lib/result.js';
import { seedOauthSessions } from '../lib/seed.js';

const ALGS = ['RS256', 'ES256'] as const;
type Alg = (typeof ALGS)[number];

/** The targets: Latchkey / oidc-provider, requests per second. */
const REFRESH_TARGET: Record<Alg, number> = { RS256: 1.5, ES256: 3 };
const CLIENT_CREDENTIALS_TARGET = 2;

const OAUTH_REFRESH_CLIENT = { id: 'bench-refresh', secret: 'bench-refresh-secret-0123456789abcdef' };
const OAUTH_CC_CLIENT = { id: 'bench-cc', secret: 'bench-cc-secret-0123456789abcdef' };

/** Logs in `n` bearer sessions, a few at a time (each is one argon2id verification). */
async function logins(port: number, n: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < n) tokens.push(...(await Promise.all(Array.from({ length: Math.min(4, n - tokens.length) }, () => login(port)))));
  return tokens;
}

/** Pending until POST /oauth2/token exists in this build (issue 5 is building it). */
async function requireTokenEndpoint(server: LatchkeyServer): Promise<void> {
  const probe = await once(server.port, formRequest('/oauth2/token', { grant_type: 'client_credentials' }));
  if (probe.status === 404) throw new Pending('POST /oauth2/token is not in this build yet (issue 5)');
}

async function withLatchkey<T>(ctx: BenchContext, alg: Alg, setup: (server: LatchkeyServer) => Promise<T>) {
  const server = await startLatchkey(ctx, { alg });
  try {
    return { server, value: await setup(server) };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/** A Latchkey subject whose clients are made after the server (and its setup) is up. */
function latchkeySubject(
  label: string,
  alg: Alg,
  setup: (ctx: BenchContext, server: LatchkeyServer) => Promise<() => Promise<import('../lib/load.js').VirtualClient[]>>,
): Subject {
  let makeClients: (() => Promise<import('../lib/load.js').VirtualClient[]>) | null = null;
  return served(
    label,
    async (c) => {
      const { server, value } = await withLatchkey(c, alg, (s) => setup(c, s));
      makeClients = value;
      return server;
    },
    async () => makeClients!(),
  );
}

/**
 * One comparison per entry: adding a grant or an algorithm is adding an entry here.
 * The Latchkey subject comes first so a pending one starts no peer.
 */
interface TokenComparison {
  group: 'refresh' | 'client_credentials';
  label: string;
  alg: Alg;
  target: number;
  latchkey: Subject;
  peer: Subject;
}

function comparisons(ctx: BenchContext): TokenComparison[] {
  const list: TokenComparison[] = [];
  // The smoke proves the code paths run; one algorithm is enough for that.
  for (const alg of ctx.smoke ? (['ES256'] as const) : ALGS) {
    const peerRefresh = served(`oidc-provider ${alg}`, (ctx) => startOidcProvider(ctx, alg), oidcRefreshClients);
    list.push({
      group: 'refresh',
      label: 'POST /auth/refresh (bearer)',
      alg,
      target: REFRESH_TARGET[alg],
      latchkey: latchkeySubject(
        `Latchkey /auth/refresh ${alg}`,
        alg,
        async (ctx, server) => async () => (await logins(server.port, ctx.clients)).map(refreshClient),
      ),
      peer: peerRefresh,
    });
    list.push({
      group: 'refresh',
      label: 'POST /oauth2/token refresh_token',
      alg,
      target: REFRESH_TARGET[alg],
      latchkey: latchkeySubject(`Latchkey /oauth2/token refresh ${alg}`, alg, async (ctx, server) => {
        await requireTokenEndpoint(server);
        await server.cli([
          'clients',
          'create',
          '--id',
          OAUTH_REFRESH_CLIENT.id,
          '--secret',
          OAUTH_REFRESH_CLIENT.secret,
          '--grant',
          'authorization_code',
          '--grant',
          'refresh_token',
          '--redirect-uri',
          'https://client.bench.example/cb',
        ]);
        const authorization = basicAuth(OAUTH_REFRESH_CLIENT.id, OAUTH_REFRESH_CLIENT.secret);
        return async () =>
          (await seedOauthSessions(server, { clientId: OAUTH_REFRESH_CLIENT.id, count: ctx.clients })).map((token) =>
            oauthRefreshClient(token, authorization),
          );
      }),
      peer: peerRefresh,
    });
    list.push({
      group: 'client_credentials',
      label: 'POST /oauth2/token client_credentials',
      alg,
      target: CLIENT_CREDENTIALS_TARGET,
      latchkey: latchkeySubject(`Latchkey client_credentials ${alg}`, alg, async (ctx, server) => {
        await requireTokenEndpoint(server);
        await server.cli([
          'clients',
          'create',
          '--id',
          OAUTH_CC_CLIENT.id,
          '--secret',
          OAUTH_CC_CLIENT.secret,
          '--grant',
          'client_credentials',
        ]);
        const authorization = basicAuth(OAUTH_CC_CLIENT.id, OAUTH_CC_CLIENT.secret);
        return async () => Array.from({ length: ctx.clients }, () => clientCredentialsClient(authorization, {}, '/oauth2/token'));
      }),
      peer: served(
        `oidc-provider ${alg}`,
        (ctx) => startOidcProvider(ctx, alg),
        async (ctx) => oidcClientCredentialsClients(ctx),
      ),
    });
  }
  return list;
}

async function runComparisons(ctx: BenchContext, group: TokenComparison['group']): Promise<Row[]> {
  const rows: Row[] = [];
  for (const c of comparisons(ctx).filter((x) => x.group === group && (!ctx.filter || `${x.label} ${x.alg}`.includes(ctx.filter)))) {
    ctx.log(`${c.label} ${c.alg} vs oidc-provider`);
    const row = emptyRow(c.group, c.label, c.alg);
    row.target = { text: `>= ${c.target}x oidc-provider`, met: null };
    try {
      const [latchkey, peer] = await compare(ctx, [c.latchkey, c.peer]);
      row.latchkey = latchkey!;
      row.peer = peer!;
      Object.assign(row, ratioOf(latchkey!, peer!));
      row.target.met = latchkey!.errors === 0 && peer!.errors === 0 ? row.ratio! >= c.target : null;
    } catch (error) {
      if (!(error instanceof Pending)) throw error;
      row.pending = error.message;
    }
    rows.push(row);
  }
  return rows;
}

export const refreshBenchmark: Benchmark = {
  id: 'refresh',
  title: 'Refresh-token rotation',
  run: (ctx) => runComparisons(ctx, 'refresh'),
};

export const clientCredentialsBenchmark: Benchmark = {
  id: 'client-credentials',
  title: 'client_credentials',
  run: (ctx) => runComparisons(ctx, 'client_credentials'),
};
