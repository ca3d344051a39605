// The peer for the token-endpoint benchmarks: oidc-provider with its default in-memory
// adapter, refresh-token rotation on, and access tokens issued as JWTs (through a
// resource indicator with `accessTokenFormat: 'jwt'`) signed with BENCH_ALG, so both
// sides sign one JWT per request. A bench-only route mints refresh tokens directly in
// its store (the authorization-code dance is not what is being measured).
import { generateKeyPairSync } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';
import { CC_CLIENT, REFRESH_CLIENT, RESOURCE, SCOPE, SEED_PATH } from './oidc-provider-clients.js';

async function main(): Promise<void> {
  const alg = process.env.BENCH_ALG === 'ES256' ? 'ES256' : 'RS256';
  const port = Number(process.env.PORT);
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } =
    alg === 'RS256' ? generateKeyPairSync('rsa', { modulusLength: 2048 }) : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: 'bench', alg, use: 'sig' };

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: REFRESH_CLIENT.id,
        client_secret: REFRESH_CLIENT.secret,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        redirect_uris: ['https://client.bench.example/cb'],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: alg,
      },
      {
        client_id: CC_CLIENT.id,
        client_secret: CC_CLIENT.secret,
        grant_types: ['client_credentials'],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: 'client_secret_basic',
        id_token_signed_response_alg: alg,
        scope: SCOPE,
      },
    ],
    jwks: { keys: [jwk as never] },
    findAccount: async (_ctx: unknown, sub: string) => ({ accountId: sub, claims: async () => ({ sub }) }),
    rotateRefreshToken: true,
    scopes: ['openid', 'offline_access', SCOPE],
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: async () => RESOURCE,
        useGrantedResource: async () => true,
        getResourceServerInfo: async () => ({
          scope: SCOPE,
          audience: RESOURCE,
          accessTokenFormat: 'jwt',
          accessTokenTTL: 900,
          jwt: { sign: { alg } },
        }),
      },
    },
    ttl: {
      AccessToken: 900,
      ClientCredentials: 900,
      RefreshToken: 7 * 86400,
      Grant: 14 * 86400,
      Session: 14 * 86400,
      Interaction: 3600,
      IdToken: 3600,
      AuthorizationCode: 60,
    },
  });
  provider.on('server_error', (_ctx: unknown, error: Error) => console.error('server_error', error));

  async function seed(n: number): Promise<string[]> {
    const client = await provider.Client.find(REFRESH_CLIENT.id);
    const tokens: string[] = [];
    for (let i = 0; i < n; i++) {
      const accountId = `bench-user-${i}`;
      const grant = new provider.Grant({ accountId, clientId: REFRESH_CLIENT.id });
      grant.addResourceScope(RESOURCE, SCOPE);
      const grantId = await grant.save();
      const token = new provider.RefreshToken({ accountId, client, grantId, scope: SCOPE, resource: RESOURCE, gty: 'authorization_code' });
      tokens.push(await token.save());
    }
    return tokens;
  }

  const handler = provider.callback();
  const server = createServer((req, res) => {
    if (req.url?.startsWith(SEED_PATH)) {
      const n = Number(new URL(req.url, issuer).searchParams.get('n') ?? '1');
      void seed(n).then(
        (tokens) => {
          const body = JSON.stringify({ refresh_tokens: tokens });
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
        },
        (error: unknown) => {
          console.error(error);
          res.writeHead(500, { 'content-length': 0 }).end();
        },
      );
      return;
    }
    void handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1');
}

await main();
