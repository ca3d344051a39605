/**
 * Registering clients: `latchkey clients create` and POST /admin/clients. Secrets are
 * shown once and stored only as SHA-256.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerUser } from '../../src/core/accounts/register.js';
import { main } from '../../src/cli/main.js';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserLogin, obtainCode, PASSWORD, pkcePair, registerPerson, tokenRequest } from './support.js';

const SECRET = 'cli-test-secret-cli-test-secret-0123456789';

describe('latchkey clients create', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-clients-'));
    env = { NODE_ENV: 'test', LATCHKEY_DATA_DIR: dir, LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`, LATCHKEY_SECRET: SECRET };
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function run(args: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(
      args,
      (l) => out.push(l),
      (l) => err.push(l),
      env,
    );
    return { code, out, err };
  }

  it('registers a confidential client, prints a generated secret once and stores only its hash; the secret works', async () => {
    const created = await run([
      'clients',
      'create',
      '--id',
      'cli-app',
      '--redirect-uri',
      'https://cli.example/cb',
      '--redirect-uri',
      'http://127.0.0.1/cb',
      '--grant',
      'authorization_code',
      '--grant',
      'refresh_token',
      '--first-party',
    ]);
    expect(created.code).toBe(0);
    expect(created.out[0]).toBe(
      'created client cli-app (confidential, first-party) grants=[authorization_code,refresh_token] scopes=[openid profile email offline_access]',
    );
    const secretLine = created.out.find((l) => l.startsWith('client_secret: '))!;
    const secret = secretLine.slice('client_secret: '.length);
    expect(secret).toMatch(/^lkcs_[A-Za-z0-9_-]{43}$/);

    const server = await startTestServer({ LATCHKEY_DATABASE_URL: env.LATCHKEY_DATABASE_URL!, LATCHKEY_SECRET: SECRET });
    try {
      const stored = await server.latchkey.deps.clients.findById('cli-app');
      expect(stored!.secretHash).toBe(createHash('sha256').update(secret).digest('base64url'));
      expect(JSON.stringify(stored)).not.toContain(secret);

      const person = await registerPerson(server);
      const jar = await browserLogin(server, person.email);
      const pkce = pkcePair();
      const { code } = await obtainCode(server, jar, {
        client_id: 'cli-app',
        redirect_uri: 'http://127.0.0.1:8123/cb',
        response_type: 'code',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      });
      const tokens = await tokenRequest(
        server,
        { grant_type: 'authorization_code', code, redirect_uri: 'http://127.0.0.1:8123/cb', code_verifier: pkce.verifier },
        { basic: ['cli-app', secret] },
      );
      expect(tokens.status).toBe(200);
      expect(tokens.body.scope).toBe('profile email offline_access');
    } finally {
      await server.close();
    }
  });

  it('registers public and machine clients, never printing a secret it was given', async () => {
    const pub = await run(['clients', 'create', '--id', 'cli-spa', '--public', '--redirect-uri', 'https://spa.example/']);
    expect(pub).toMatchObject({ code: 0, err: [] });
    expect(pub.out.some((l) => l.includes('client_secret'))).toBe(false);
    const machine = await run([
      'clients',
      'create',
      '--id',
      'cli-worker',
      '--grant',
      'client_credentials',
      '--secret',
      'given-secret-given-secret-given-secret',
    ]);
    expect(machine.code).toBe(0);
    expect(machine.out[0]).toContain('scopes=[revocations:read]');
    expect(machine.out.join('\n')).not.toContain('given-secret');
  });

  it('refuses what cannot work, with one line and a non-zero exit', async () => {
    for (const [args, message] of [
      [['--id', 'x1', '--public', '--secret', 's'], 'latchkey: invalid_request: A public client has no secret.'],
      [
        ['--id', 'x2', '--grant', 'password'],
        'latchkey: invalid_request: Unknown grant type "password"; use authorization_code, refresh_token, client_credentials.',
      ],
      [['--id', 'x3'], 'latchkey: invalid_request: The authorization_code grant needs at least one redirect URI.'],
      [['--id', 'x4', '--redirect-uri', 'http://app.example/cb'], expect.stringContaining('may use http only for 127.0.0.1')],
      [
        ['--id', 'x5', '--public', '--grant', 'client_credentials'],
        'latchkey: invalid_request: A public client cannot use client_credentials.',
      ],
      [['--id', 'latchkey', '--grant', 'client_credentials'], 'latchkey: invalid_request: The client id "latchkey" is reserved.'],
      [
        ['--id', 'cli-spa', '--public', '--redirect-uri', 'https://spa.example/'],
        'latchkey: invalid_request: A client with id "cli-spa" already exists.',
      ],
    ] as Array<[string[], unknown]>) {
      const result = await run(['clients', 'create', ...args]);
      expect(result.code).toBe(1);
      expect(result.err).toEqual([message]);
    }
    expect((await run(['clients', 'create'])).code).toBe(2);
  });
});

describe('POST /admin/clients', () => {
  let server: TestServer;
  let adminToken: string;
  beforeAll(async () => {
    server = await startTestServer();
    await registerUser(server.latchkey.deps, { email: 'root@example.com', password: PASSWORD, name: 'Root', roles: ['admin'] }, null);
    const login = await call(server.url, 'POST', '/auth/login', {
      body: { email: 'root@example.com', password: PASSWORD, transport: 'bearer' },
    });
    adminToken = login.body.access_token;
  });
  afterAll(() => server.close());

  it('registers a client for an admin and returns its secret once', async () => {
    const res = await call(server.url, 'POST', '/admin/clients', {
      bearer: adminToken,
      body: { id: 'api-app', name: 'API App', redirect_uris: ['https://api-app.example/cb'], first_party: true },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toEqual({
      id: 'api-app',
      client_id: 'api-app',
      name: 'API App',
      client_secret: expect.stringMatching(/^lkcs_[A-Za-z0-9_-]{43}$/),
      redirect_uris: ['https://api-app.example/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
      scopes: ['openid', 'profile', 'email', 'offline_access'],
      public: false,
      first_party: true,
      token_endpoint_auth_method: 'client_secret_basic',
      created_at: expect.any(String),
    });
    const cc = await call(server.url, 'POST', '/admin/clients', {
      bearer: adminToken,
      body: { client_id: 'api-worker', grant_types: ['client_credentials'], scope: 'revocations:read reports:read' },
    });
    expect(cc.status).toBe(201);
    const token = await tokenRequest(server, { grant_type: 'client_credentials' }, { basic: ['api-worker', cc.body.client_secret] });
    expect(token.body.scope).toBe('revocations:read reports:read');
    const spa = await call(server.url, 'POST', '/admin/clients', {
      bearer: adminToken,
      body: { id: 'api-spa', token_endpoint_auth_method: 'none', redirect_uris: ['https://spa.example/'] },
    });
    expect(spa.status).toBe(201);
    expect(spa.body.public).toBe(true);
    expect(spa.body.client_secret).toBeUndefined();
  });

  it('answers 401 without credentials and 403 to anyone but an admin', async () => {
    const body = { id: 'nope', redirect_uris: ['https://nope.example/cb'] };
    const anonymous = await call(server.url, 'POST', '/admin/clients', { body });
    expect(anonymous.status).toBe(401);
    const person = await registerPerson(server);
    const login = await call(server.url, 'POST', '/auth/login', { body: { email: person.email, password: PASSWORD, transport: 'bearer' } });
    const forbidden = await call(server.url, 'POST', '/admin/clients', { bearer: login.body.access_token, body });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toBe('forbidden');
    expect(await server.latchkey.deps.clients.findById('nope')).toBeNull();
  });

  it('refuses invalid registrations with 400 invalid_request', async () => {
    for (const body of [
      { id: 'bad-1', redirect_uris: ['https://x.example/cb#frag'] },
      { id: 'bad-2', redirect_uris: ['javascript:alert(1)'] },
      { id: 'bad-3', redirect_uris: ['https://user@x.example/cb'] },
      { id: 'bad 4', redirect_uris: ['https://x.example/cb'] },
      { id: 'bad-5', redirect_uris: 'https://x.example/cb' },
      { id: 'bad-6', public: 'true', redirect_uris: ['https://x.example/cb'] },
      { redirect_uris: ['https://x.example/cb'] },
      { id: 'api-app', redirect_uris: ['https://x.example/cb'] },
    ]) {
      const res = await call(server.url, 'POST', '/admin/clients', { bearer: adminToken, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error).toBe('invalid_request');
    }
  });
});
