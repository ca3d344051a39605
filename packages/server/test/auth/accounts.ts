/** Shared steps of the account and session HTTP tests: create an account, sign it in. */
import { expect } from 'vitest';
import { call, CookieJar, type CallResult } from '../support/client.js';

export const PASSWORD = 'correct horse battery staple 42';
export const CHROME_ON_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

let counter = 0;
/** A fresh address per call, so tests in one file never share an account by accident. */
export function uniqueEmail(label = 'person'): string {
  counter += 1;
  return `${label}-${counter}-${process.pid}@example.com`;
}

export async function registerAccount(url: string, email = uniqueEmail(), name = 'Test Person', password = PASSWORD) {
  const res = await call(url, 'POST', '/auth/register', { body: { email, password, name } });
  expect(res.status).toBe(201);
  return res.body.user as { id: string; email: string; name: string; roles: string[]; tenant_id: string | null };
}

export interface CookieLogin {
  jar: CookieJar;
  res: CallResult;
}

export async function cookieLogin(
  url: string,
  email: string,
  options: { remember?: boolean; headers?: Record<string, string>; password?: string } = {},
): Promise<CookieLogin> {
  const jar = new CookieJar();
  const body: Record<string, unknown> = { email, password: options.password ?? PASSWORD };
  if (options.remember !== undefined) body.remember = options.remember;
  const res = await call(url, 'POST', '/auth/login', { body, jar, headers: options.headers });
  expect(res.status).toBe(200);
  return { jar, res };
}

export interface BearerGrant {
  user: { id: string; email: string; name: string; roles: string[]; tenant_id: string | null };
  session: { id: string; type: string; createdAt: string; expiresAt: string; idleExpiresAt: string; accessTokenExpiresAt: string };
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

export async function bearerLogin(
  url: string,
  email: string,
  options: { remember?: boolean; headers?: Record<string, string> } = {},
): Promise<BearerGrant> {
  const res = await call(url, 'POST', '/auth/login', {
    body: { email, password: PASSWORD, transport: 'bearer', remember: options.remember ?? false },
    headers: options.headers,
  });
  expect(res.status).toBe(200);
  return res.body as BearerGrant;
}

/** The contract's error body: exactly `error` and `error_description` (plus `reason` when given). */
export function contractError(code: string, reason?: string) {
  return reason === undefined
    ? { error: code, error_description: expect.any(String) }
    : { error: code, error_description: expect.any(String), reason };
}
