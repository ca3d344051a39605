import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { bearerLogin, CHROME_ON_LINUX, contractError, cookieLogin, registerAccount, uniqueEmail } from './accounts.js';

const FIREFOX_ON_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:127.0) Gecko/20100101 Firefox/127.0';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

async function account() {
  const email = uniqueEmail('sessions');
  const user = await registerAccount(server.url, email, 'Session Owner');
  return { email, user };
}
const whoami = (bearer: string) => call(server.url, 'GET', '/auth/session', { bearer });

describe('POST /auth/logout', () => {
  it('answers 204, clears the three cookies, and rejects the access token at once with reason logout', async () => {
    const { email } = await account();
    const { jar } = await cookieLogin(server.url, email);
    const accessToken = jar.get('__Host-lk_at')!;
    const refreshToken = jar.get('__Secure-lk_rt')!;

    const res = await call(server.url, 'POST', '/auth/logout', { jar, csrf: true });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
    const cleared = Object.fromEntries(res.cookies.map((c) => [c.name, c]));
    expect(Object.keys(cleared).sort()).toEqual(['__Host-lk_at', '__Host-lk_csrf', '__Secure-lk_rt']);
    for (const cookie of Object.values(cleared)) {
      expect(cookie.value).toBe('');
      const expires = cookie.attributes.expires;
      expect(cookie.attributes['max-age'] === '0' || (typeof expires === 'string' && Date.parse(expires) <= Date.now())).toBe(true);
    }
    expect(cleared['__Secure-lk_rt']!.attributes.path).toBe('/auth');
    expect(cleared['__Host-lk_at']!.attributes).toMatchObject({ path: '/', secure: true });
    expect(cleared['__Host-lk_csrf']!.attributes).toMatchObject({ path: '/', secure: true });
    expect(jar.cookies.size).toBe(0);

    const after = await whoami(accessToken);
    expect(after.status).toBe(401);
    expect(after.body).toEqual(contractError('unauthorized', 'logout'));
    const refresh = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: refreshToken } });
    expect(refresh.body).toEqual(contractError('invalid_grant', 'logout'));
  });

  it('ends a bearer session with 204 and no cookies', async () => {
    const { email } = await account();
    const grant = await bearerLogin(server.url, email);
    const res = await call(server.url, 'POST', '/auth/logout', { bearer: grant.access_token });
    expect(res.status).toBe(204);
    expect(res.cookies).toEqual([]);
    expect((await whoami(grant.access_token)).body).toEqual(contractError('unauthorized', 'logout'));
    // A second logout with the same token is refused: the session is gone.
    const again = await call(server.url, 'POST', '/auth/logout', { bearer: grant.access_token });
    expect(again.status).toBe(401);
    expect(again.body).toEqual(contractError('unauthorized', 'logout'));
  });

  it('still says why once the access token has expired as well; an expired token of a live session gets no reason', async () => {
    const { email } = await account();
    const ended = await bearerLogin(server.url, email);
    const live = await bearerLogin(server.url, email);
    expect((await call(server.url, 'POST', '/auth/logout', { bearer: ended.access_token })).status).toBe(204);
    server.clock.advance((ended.expires_in + 60) * 1000);

    const res = await whoami(ended.access_token);
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('unauthorized', 'logout'));
    expect(res.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const stale = await whoami(live.access_token);
    expect(stale.status).toBe(401);
    expect(stale.body).toEqual(contractError('unauthorized'));
  });

  it('answers 401 unauthorized without credentials', async () => {
    const res = await call(server.url, 'POST', '/auth/logout');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('unauthorized'));
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer\b/);
  });

  it('leaves the user’s other sessions alive', async () => {
    const { email } = await account();
    const a = await bearerLogin(server.url, email);
    const b = await bearerLogin(server.url, email);
    expect((await call(server.url, 'POST', '/auth/logout', { bearer: a.access_token })).status).toBe(204);
    expect((await whoami(b.access_token)).status).toBe(200);
  });
});

describe('POST /auth/logout-all', () => {
  it('ends every session of the user with reason logout_all, and no one else’s', async () => {
    const { email } = await account();
    const bystander = await account();
    const cookie = await cookieLogin(server.url, email);
    const phone = await bearerLogin(server.url, email);
    const laptop = await bearerLogin(server.url, email, { remember: true });
    const other = await bearerLogin(server.url, bystander.email);

    const res = await call(server.url, 'POST', '/auth/logout-all', { bearer: phone.access_token });
    expect(res.status).toBe(204);
    for (const token of [phone.access_token, laptop.access_token, cookie.jar.get('__Host-lk_at')!]) {
      const after = await whoami(token);
      expect(after.status).toBe(401);
      expect(after.body).toEqual(contractError('unauthorized', 'logout_all'));
    }
    const refresh = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: laptop.refresh_token } });
    expect(refresh.body).toEqual(contractError('invalid_grant', 'logout_all'));
    expect((await whoami(other.access_token)).status).toBe(200);
  });

  it('clears the cookies of a cookie-authenticated caller', async () => {
    const { email } = await account();
    const { jar } = await cookieLogin(server.url, email);
    const res = await call(server.url, 'POST', '/auth/logout-all', { jar, csrf: true });
    expect(res.status).toBe(204);
    expect(jar.cookies.size).toBe(0);
  });

  it('answers 401 without credentials', async () => {
    const res = await call(server.url, 'POST', '/auth/logout-all');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('unauthorized'));
  });
});

describe('GET /auth/session', () => {
  it('answers {user, session, accessTokenExpiresAt} for a bearer token and for the access cookie', async () => {
    const { email, user } = await account();
    const grant = await bearerLogin(server.url, email);
    const res = await whoami(grant.access_token);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      user,
      session: grant.session,
      accessTokenExpiresAt: grant.session.accessTokenExpiresAt,
    });

    const { jar, res: login } = await cookieLogin(server.url, email, { remember: true });
    const viaCookie = await call(server.url, 'GET', '/auth/session', { jar });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body.session).toEqual(login.body.session);
    expect(viaCookie.body.user).toEqual(user);
  });

  it('answers 401 without credentials', async () => {
    const res = await call(server.url, 'GET', '/auth/session');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('unauthorized'));
  });
});

describe('GET /auth/sessions', () => {
  it('lists the user’s live sessions with ip, userAgent, a readable device and the current one marked', async () => {
    const { email } = await account();
    const chrome = await bearerLogin(server.url, email, { headers: { 'user-agent': CHROME_ON_LINUX } });
    server.clock.advance(1000);
    const firefox = await bearerLogin(server.url, email, { remember: true, headers: { 'user-agent': FIREFOX_ON_WINDOWS } });
    const ended = await bearerLogin(server.url, email);
    await call(server.url, 'POST', '/auth/logout', { bearer: ended.access_token });
    const stranger = await account();
    await bearerLogin(server.url, stranger.email);

    const res = await call(server.url, 'GET', '/auth/sessions', {
      bearer: chrome.access_token,
      headers: { 'user-agent': CHROME_ON_LINUX },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const sessions = res.body.sessions as any[];
    expect(sessions.map((s) => s.id).sort()).toEqual([chrome.session.id, firefox.session.id].sort());
    const mine = sessions.find((s) => s.id === chrome.session.id);
    expect(mine).toEqual({
      id: chrome.session.id,
      current: true,
      type: 'standard',
      createdAt: chrome.session.createdAt,
      lastUsedAt: chrome.session.createdAt,
      expiresAt: chrome.session.expiresAt,
      ip: '127.0.0.1',
      userAgent: CHROME_ON_LINUX,
      device: 'Chrome on Linux',
    });
    const theirs = sessions.find((s) => s.id === firefox.session.id);
    expect(theirs).toMatchObject({ current: false, type: 'extended', device: 'Firefox on Windows', userAgent: FIREFOX_ON_WINDOWS });

    // Seen from the other device, the marks swap.
    const fromFirefox = await call(server.url, 'GET', '/auth/sessions', { bearer: firefox.access_token });
    expect(fromFirefox.body.sessions.find((s: any) => s.current).id).toBe(firefox.session.id);
  });

  it('moves lastUsedAt when the session is refreshed', async () => {
    const { email } = await account();
    const grant = await bearerLogin(server.url, email);
    server.clock.advance(60_000);
    const refreshed = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: grant.refresh_token } });
    const res = await call(server.url, 'GET', '/auth/sessions', { bearer: refreshed.body.access_token });
    expect(res.body.sessions[0].lastUsedAt).toBe(new Date(server.clock.now()).toISOString());
    expect(res.body.sessions[0].createdAt).toBe(grant.session.createdAt);
  });

  it('answers 401 without credentials', async () => {
    const res = await call(server.url, 'GET', '/auth/sessions');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('unauthorized'));
  });
});

describe('DELETE /auth/sessions/:id', () => {
  it('signs out another device with 204; that device’s token then gets 401 with reason revoked', async () => {
    const { email } = await account();
    const here = await bearerLogin(server.url, email);
    const there = await bearerLogin(server.url, email);
    const res = await call(server.url, 'DELETE', `/auth/sessions/${there.session.id}`, { bearer: here.access_token });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();

    const revoked = await whoami(there.access_token);
    expect(revoked.status).toBe(401);
    expect(revoked.body).toEqual(contractError('unauthorized', 'revoked'));
    const refresh = await call(server.url, 'POST', '/auth/refresh', { body: { refresh_token: there.refresh_token } });
    expect(refresh.body).toEqual(contractError('invalid_grant', 'revoked'));
    expect((await whoami(here.access_token)).status).toBe(200);
    const list = await call(server.url, 'GET', '/auth/sessions', { bearer: here.access_token });
    expect(list.body.sessions.map((s: any) => s.id)).toEqual([here.session.id]);
  });

  it('answers 404 not_found for another user’s session, an unknown id and an already ended one, and leaves them alone', async () => {
    const { email } = await account();
    const mine = await bearerLogin(server.url, email);
    const gone = await bearerLogin(server.url, email);
    await call(server.url, 'DELETE', `/auth/sessions/${gone.session.id}`, { bearer: mine.access_token });
    const stranger = await account();
    const theirs = await bearerLogin(server.url, stranger.email);

    for (const id of [theirs.session.id, '00000000-0000-4000-8000-000000000000', 'not-a-uuid', gone.session.id]) {
      const res = await call(server.url, 'DELETE', `/auth/sessions/${id}`, { bearer: mine.access_token });
      expect(res.status, id).toBe(404);
      expect(res.body).toEqual(contractError('not_found'));
    }
    expect((await whoami(theirs.access_token)).status).toBe(200);
  });

  it('lets a cookie session revoke itself, clearing its cookies', async () => {
    const { email } = await account();
    const { jar, res: login } = await cookieLogin(server.url, email);
    const res = await call(server.url, 'DELETE', `/auth/sessions/${login.body.session.id}`, { jar, csrf: true });
    expect(res.status).toBe(204);
    expect(jar.cookies.size).toBe(0);
  });

  it('answers 401 without credentials', async () => {
    const res = await call(server.url, 'DELETE', '/auth/sessions/00000000-0000-4000-8000-000000000000');
    expect(res.status).toBe(401);
    expect(res.body).toEqual(contractError('unauthorized'));
  });
});
