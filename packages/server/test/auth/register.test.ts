import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { contractError, PASSWORD, uniqueEmail } from './accounts.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const register = (body: unknown) => call(server.url, 'POST', '/auth/register', { body });
const login = (email: string, password: string) =>
  call(server.url, 'POST', '/auth/login', { body: { email, password, transport: 'bearer' } });

describe('POST /auth/register', () => {
  it('creates an account and answers 201 with exactly {user:{id,email,name,roles,tenant_id}}', async () => {
    const email = uniqueEmail('new');
    const res = await register({ email, password: PASSWORD, name: 'Ada Lovelace' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      user: { id: expect.any(String), email, name: 'Ada Lovelace', roles: [], tenant_id: null },
    });
    expect(Object.keys(res.body.user).sort()).toEqual(['email', 'id', 'name', 'roles', 'tenant_id']);
    expect((await login(email, PASSWORD)).status).toBe(200);
  });

  it('ignores unknown fields', async () => {
    const email = uniqueEmail('extra');
    const res = await register({
      email,
      password: PASSWORD,
      name: 'Extra',
      roles: ['admin'],
      tenantId: 't1',
      tenant_id: 't1',
      favouriteColour: 'blue',
    });
    expect(res.status).toBe(201);
    expect(res.body.user.roles).toEqual([]);
    expect(res.body.user.tenant_id).toBeNull();
  });

  describe('name', () => {
    it('accepts a name of 1 and of 100 characters', async () => {
      expect((await register({ email: uniqueEmail(), password: PASSWORD, name: 'A' })).status).toBe(201);
      const hundred = 'é'.repeat(100);
      const res = await register({ email: uniqueEmail(), password: PASSWORD, name: hundred });
      expect(res.status).toBe(201);
      expect(res.body.user.name).toBe(hundred);
    });

    it('refuses a missing, empty, blank or 101-character name with 400 invalid_request', async () => {
      for (const name of [undefined, '', '   ', 'n'.repeat(101)]) {
        const res = await register({ email: uniqueEmail(), password: PASSWORD, ...(name === undefined ? {} : { name }) });
        expect(res.status, JSON.stringify(name)).toBe(400);
        expect(res.body).toEqual(contractError('invalid_request'));
      }
    });
  });

  describe('password', () => {
    it('accepts 8 characters and a 256-emoji password, and signs in with it untruncated', async () => {
      expect((await register({ email: uniqueEmail(), password: 'k9#Lm2$q', name: 'Eight' })).status).toBe(201);

      const email = uniqueEmail('emoji');
      const emoji = '🔑'.repeat(256); // 256 code points, 512 UTF-16 units, 1024 UTF-8 bytes
      expect((await register({ email, password: emoji, name: 'Emoji' })).status).toBe(201);
      expect((await login(email, emoji)).status).toBe(200);
      // Never truncated: a prefix of the password is a different password.
      expect((await login(email, '🔑'.repeat(255))).status).toBe(401);
      expect((await login(email, '🔑'.repeat(72))).status).toBe(401);
    });

    it('refuses 257 code points and 7 characters with 400 weak_password', async () => {
      for (const password of ['🔑'.repeat(257), 'a'.repeat(257), 'k9#Lm2$']) {
        const res = await register({ email: uniqueEmail(), password, name: 'Weak' });
        expect(res.status).toBe(400);
        expect(res.body).toEqual(contractError('weak_password'));
      }
    });

    it('counts code points after NFC, so a decomposed accent is one character and both forms sign in', async () => {
      // "e" + COMBINING ACUTE ACCENT is two code points, one after NFC: 8 decomposed "é" are 16 code points before NFC.
      const decomposed = 'e\u0301'.repeat(7);
      const weak = await register({ email: uniqueEmail(), password: decomposed, name: 'Nfc' });
      expect(weak.status).toBe(400);
      expect(weak.body.error).toBe('weak_password');

      const email = uniqueEmail('nfc');
      expect((await register({ email, password: 'e\u0301'.repeat(8), name: 'Nfc' })).status).toBe(201);
      expect((await login(email, '\u00e9'.repeat(8))).status).toBe(200);
    });

    it('refuses a password with an unpaired surrogate (400 invalid_request) at sign-up and sign-in: UTF-8 would turn it into U+FFFD and make different passwords one', async () => {
      const email = uniqueEmail('surrogate');
      const res = await register({ email, password: '\ud800abcdefghij', name: 'Lone' });
      expect(res.status).toBe(400);
      expect(res.body).toEqual(contractError('invalid_request'));
      expect((await register({ email, password: '\ufffdabcdefghij', name: 'Replacement' })).status).toBe(201);
      for (const lone of ['\ud800abcdefghij', '\udc00abcdefghij']) {
        const attempt = await login(email, lone);
        expect(attempt.status).toBe(400);
        expect(attempt.body).toEqual(contractError('invalid_request'));
      }
      expect((await login(email, '\ufffdabcdefghij')).status).toBe(200);
    });

    it('refuses the most common passwords, in any letter case, with 400 weak_password', async () => {
      for (const password of ['password', '12345678', 'iloveyou', 'QwertyUIOP', 'password123', 'Password123', 'qwerty123', 'Passw0rd']) {
        const res = await register({ email: uniqueEmail(), password, name: 'Common' });
        expect(res.status, password).toBe(400);
        expect(res.body).toEqual(contractError('weak_password'));
      }
    });
  });

  describe('email', () => {
    it('refuses an email or a name with an unpaired surrogate with 400 invalid_request', async () => {
      for (const body of [
        { email: `lone\ud800-${process.pid}@example.com`, password: PASSWORD, name: 'Lone' },
        { email: uniqueEmail(), password: PASSWORD, name: 'Lone \udc00' },
      ]) {
        const res = await register(body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(contractError('invalid_request'));
      }
    });

    it('trims the email and keeps it unique case-insensitively with 409 email_taken', async () => {
      const local = `Trim.Me-${process.pid}`;
      const res = await register({ email: `  ${local}@Example.com \t`, password: PASSWORD, name: 'Trim' });
      expect(res.status).toBe(201);
      expect(res.body.user.email).toBe(`${local}@Example.com`);

      for (const email of [`${local}@example.com`, `${local.toUpperCase()}@EXAMPLE.COM`, ` ${local.toLowerCase()}@example.com `]) {
        const again = await register({ email, password: PASSWORD, name: 'Again' });
        expect(again.status, email).toBe(409);
        expect(again.body).toEqual(contractError('email_taken'));
      }
      // Sign-in is case-insensitive and trims too.
      expect((await login(` ${local.toLowerCase()}@EXAMPLE.com`, PASSWORD)).status).toBe(200);
    });

    it('lets exactly one of ten concurrent registrations of one address (in different cases) win; the rest get 409', async () => {
      const local = `race-${process.pid}`;
      const variants = Array.from({ length: 10 }, (_, i) => (i % 2 ? `${local}@example.com` : `${local.toUpperCase()}@EXAMPLE.com`));
      const results = await Promise.all(variants.map((email) => register({ email, password: PASSWORD, name: 'Racer' })));
      expect(results.map((r) => r.status).sort()).toEqual([201, ...Array(9).fill(409)]);
      for (const r of results.filter((r) => r.status === 409)) expect(r.body).toEqual(contractError('email_taken'));
    });

    it('refuses an invalid email with 400 invalid_request', async () => {
      for (const email of ['', 'no-at-sign', 'a@b', '@example.com', 'a b@example.com', 'a@exa mple.com', 'a@@example.com']) {
        const res = await register({ email, password: PASSWORD, name: 'Bad' });
        expect(res.status, email).toBe(400);
        expect(res.body).toEqual(contractError('invalid_request'));
      }
    });
  });

  describe('types', () => {
    it('refuses wrong types and missing fields with 400 invalid_request, without coercion', async () => {
      const good = { email: uniqueEmail(), password: PASSWORD, name: 'Types' };
      const bodies: unknown[] = [
        { ...good, email: ['a@b.example'] },
        { ...good, email: 12345678 },
        { ...good, password: 12345678 },
        { ...good, password: ['correct horse battery'] },
        { ...good, name: 42 },
        { ...good, name: null },
        { ...good, name: true },
        { ...good, email: { address: 'a@b.example' } },
        { password: PASSWORD, name: 'Missing' },
        { email: uniqueEmail(), name: 'Missing' },
        {},
        [],
        'string',
        null,
        12345678,
      ];
      for (const body of bodies) {
        const res = await call(server.url, 'POST', '/auth/register', { body: JSON.stringify(body) });
        expect(res.status, JSON.stringify(body)).toBe(400);
        expect(res.body).toEqual(contractError('invalid_request'));
      }
      // None of them created the account.
      expect((await register(good)).status).toBe(201);
    });
  });
});
