import { expect } from 'vitest';
import { call, CookieJar } from '../support/client.js';
import type { TestServer } from '../support/server.js';

export const PASSWORD = 'correct horse battery staple';

export async function register(server: TestServer, email: string, password = PASSWORD, name = 'Test Person') {
  const res = await call(server.url, 'POST', '/auth/register', { body: { email, password, name } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.user as { id: string; email: string; name: string; roles: string[] };
}

export async function bearerLogin(server: TestServer, email: string, password = PASSWORD, extra: Record<string, unknown> = {}) {
  const res = await call(server.url, 'POST', '/auth/login', { body: { email, password, transport: 'bearer', ...extra } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body as { access_token: string; refresh_token: string; session: { id: string; type: string }; user: { id: string } };
}

export async function cookieLogin(server: TestServer, email: string, password = PASSWORD, extra: Record<string, unknown> = {}) {
  const jar = new CookieJar();
  const res = await call(server.url, 'POST', '/auth/login', { body: { email, password, ...extra }, jar });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { jar, body: res.body as { session: { id: string }; csrfToken: string; user: { id: string } } };
}

/** A user with role admin, created in-process (self-registration can never set roles). */
export async function createAdmin(server: TestServer, email = 'admin@example.com', password = PASSWORD) {
  const { registerUser } = await import('../../src/core/accounts/register.js');
  const user = await registerUser(server.latchkey.deps, { email, password, name: 'Admin', roles: ['admin'] }, null);
  return { user, login: await bearerLogin(server, email, password) };
}

/** Waits for `check` to hold, polling; fails with `what` after `ms`. */
export async function eventually<T>(what: string, check: () => Promise<T | null | undefined | false>, ms = 5000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
