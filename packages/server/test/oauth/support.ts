/** Shared steps of the OAuth tests: register people and clients, sign in a browser, follow /oauth2/authorize. */
import { createHash, randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import { registerClient, type NewClient } from '../../src/core/oauth/clients.js';
import { call, CookieJar } from '../support/client.js';
import type { TestServer } from '../support/server.js';

export const PASSWORD = 'oauth test passphrase 7';

let counter = 0;
export function uniqueEmail(label = 'person'): string {
  counter += 1;
  return `${label}-${counter}-${process.pid}@example.com`;
}

export async function registerPerson(server: TestServer, email = uniqueEmail(), name = 'Olive Auth') {
  const res = await call(server.url, 'POST', '/auth/register', { body: { email, password: PASSWORD, name } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.user as { id: string; email: string; name: string };
}

/** A browser signed in through POST /auth/login with the cookie transport. */
export async function browserLogin(server: TestServer, email: string, remember = false): Promise<CookieJar> {
  const jar = new CookieJar();
  const res = await call(server.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, remember }, jar });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(jar.get('__Host-lk_at')).toBeTruthy();
  return jar;
}

export async function createClient(server: TestServer, input: NewClient) {
  return registerClient(server.latchkey.deps, input, null);
}

export interface Navigation {
  status: number;
  location: string | null;
  body: string;
  headers: Headers;
}

/**
 * One browser step: GET (or form POST) with the jar's cookies, redirects not followed,
 * as a browser would send them to /oauth2/* (the access cookie has Path=/).
 */
export async function navigate(
  server: TestServer,
  url: string,
  options: { jar?: CookieJar; form?: Record<string, string>; accept?: string } = {},
): Promise<Navigation> {
  const target = new URL(url, server.url);
  const headers: Record<string, string> = { accept: options.accept ?? 'text/html,application/xhtml+xml' };
  const cookie = options.jar?.header(target.pathname);
  if (cookie) headers.cookie = cookie;
  if (options.form) headers['content-type'] = 'application/x-www-form-urlencoded';
  const response = await fetch(target, {
    method: options.form ? 'POST' : 'GET',
    headers,
    body: options.form ? new URLSearchParams(options.form).toString() : undefined,
    redirect: 'manual',
  });
  return { status: response.status, location: response.headers.get('location'), body: await response.text(), headers: response.headers };
}

/** The hidden fields of the consent page's form, to submit it as the browser would. */
export function consentForm(html: string): Record<string, string> {
  const form: Record<string, string> = {};
  for (const match of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) {
    form[match[1]!] = match[2]!.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  }
  return form;
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

export function authorizeUrl(server: TestServer, params: Record<string, string>): string {
  return `${server.url}/oauth2/authorize?${new URLSearchParams(params).toString()}`;
}

/** Runs authorize for a signed-in browser and returns the code from the redirect (no consent expected). */
export async function obtainCode(
  server: TestServer,
  jar: CookieJar,
  params: Record<string, string>,
): Promise<{ code: string; redirect: URL }> {
  const res = await navigate(server, authorizeUrl(server, params), { jar });
  expect(res.status, res.body.slice(0, 300)).toBe(302);
  const redirect = new URL(res.location!);
  const code = redirect.searchParams.get('code');
  expect(code, res.location!).toMatch(/^lkac_[A-Za-z0-9_-]{43}$/);
  return { code: code!, redirect };
}

export interface FormResult {
  status: number;
  headers: Headers;
  body: any;
}

/** POST /oauth2/token with a form body. */
export async function tokenRequest(
  server: TestServer,
  form: Record<string, string>,
  options: { basic?: [string, string]; headers?: Record<string, string> } = {},
): Promise<FormResult> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', ...options.headers };
  if (options.basic) {
    const [id, secret] = options.basic.map((p) => encodeURIComponent(p));
    headers.authorization = `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
  }
  const response = await fetch(`${server.url}/oauth2/token`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    /* keep text */
  }
  return { status: response.status, headers: response.headers, body };
}

/** POST a form to an OAuth endpoint (revoke, introspect). */
export async function formPost(
  server: TestServer,
  path: string,
  form: Record<string, string>,
  basic?: [string, string],
): Promise<FormResult> {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic)
    headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  const response = await fetch(`${server.url}${path}`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  const text = await response.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* keep text */
  }
  return { status: response.status, headers: response.headers, body };
}

export function decodeJwt(token: string): { header: Record<string, any>; payload: Record<string, any> } {
  const [h, p] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(h!, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')),
  };
}
