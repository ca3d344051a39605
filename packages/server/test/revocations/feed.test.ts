import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../support/client.js';
import { startTestServer, type TestServer } from '../support/server.js';

const ADMIN = { email: 'feed-admin@example.com', password: 'feed admin passphrase' };
const password = 'feed test passphrase';
const ACCESS_TTL_S = 900;
const MARGIN_MS = 60_000;

interface WireEvent {
  cursor: string;
  type: 'session' | 'user' | 'jti';
  id: string;
  at: string;
  until: string;
}

/** An open `GET /revocations/stream`, read as text; `waitFor` reads until a predicate holds or time runs out. */
async function openStream(server: TestServer, token: string, headers: Record<string, string> = {}, query = '') {
  const abort = new AbortController();
  const response = await fetch(`${server.url}/revocations/stream${query}`, {
    headers: { authorization: `Bearer ${token}`, ...headers },
    signal: abort.signal,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  let pending: ReturnType<typeof reader.read> | null = null;
  return {
    response,
    get text() {
      return text;
    },
    get ended() {
      return ended;
    },
    /** Reads until `predicate(text)` or `ms` pass; returns whether it held. */
    async waitFor(predicate: (text: string) => boolean, ms: number): Promise<boolean> {
      const deadline = Date.now() + ms;
      while (!predicate(text) && !ended) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        pending ??= reader.read();
        const result = await Promise.race([pending, new Promise<null>((r) => setTimeout(() => r(null), left))]);
        if (result === null) return predicate(text);
        pending = null;
        if (result.done) ended = true;
        else text += decoder.decode(result.value, { stream: true });
      }
      return predicate(text);
    },
    events(): Array<{ id: string | null; event: string | null; data: WireEvent }> {
      return text
        .split('\n\n')
        .filter((block) => block.includes('data: '))
        .map((block) => {
          const field = (name: string) =>
            block
              .split('\n')
              .find((l) => l.startsWith(`${name}: `))
              ?.slice(name.length + 2) ?? null;
          return { id: field('id'), event: field('event'), data: JSON.parse(field('data')!) as WireEvent };
        });
    },
    close: () => abort.abort(),
  };
}

async function bearerLogin(server: TestServer, email: string, pw = password) {
  const res = await call(server.url, 'POST', '/auth/login', { body: { email, password: pw, transport: 'bearer' } });
  expect(res.status).toBe(200);
  return res.body as { access_token: string; session: { id: string }; user: { id: string } };
}

describe('revocation feed', () => {
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    server = await startTestServer({ LATCHKEY_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}` });
    for (const name of ['ana', 'bo', 'cy']) {
      const res = await call(server.url, 'POST', '/auth/register', { body: { email: `${name}@example.com`, password, name } });
      expect(res.status).toBe(201);
    }
    admin = (await bearerLogin(server, ADMIN.email, ADMIN.password)).access_token;
  });
  afterAll(() => server.close());

  const page = (after?: string, token = admin) =>
    call(server.url, 'GET', `/revocations${after === undefined ? '' : `?after=${encodeURIComponent(after)}`}`, { bearer: token });

  it('answers 401 with a Bearer challenge without a token, and 403 forbidden to a person who is not an admin', async () => {
    const anonymous = await call(server.url, 'GET', '/revocations');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: 'unauthorized' });
    expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
    const person = await bearerLogin(server, 'cy@example.com');
    for (const path of ['/revocations', '/revocations/stream']) {
      const res = await call(server.url, 'GET', path, { bearer: person.access_token });
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ error: 'forbidden', error_description: expect.any(String) });
    }
  });

  it('publishes a session rule when a person signs out, living as long as the session`s last access token', async () => {
    const { next: start } = (await page()).body as { next: string };
    const login = await bearerLogin(server, 'ana@example.com');
    expect((await call(server.url, 'POST', '/auth/logout', { bearer: login.access_token })).status).toBe(204);
    const res = await page(start);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { events, next } = res.body as { events: WireEvent[]; next: string };
    expect(events).toEqual([
      { cursor: expect.stringMatching(/^\d+$/), type: 'session', id: login.session.id, at: expect.any(String), until: expect.any(String) },
    ]);
    const [event] = events;
    expect(event!.at).toBe(new Date(server.clock.now()).toISOString());
    expect(Date.parse(event!.until) - Date.parse(event!.at)).toBe(ACCESS_TTL_S * 1000 + MARGIN_MS);
    expect(next).toBe(event!.cursor);
    // Nothing after the last cursor: an empty page that keeps the cursor.
    expect((await page(next)).body).toEqual({ events: [], next });
  });

  it('publishes a session rule per ended session and a user rule when a person signs out everywhere', async () => {
    const { next: start } = (await page()).body as { next: string };
    const first = await bearerLogin(server, 'bo@example.com');
    const second = await bearerLogin(server, 'bo@example.com');
    expect((await call(server.url, 'POST', '/auth/logout-all', { bearer: second.access_token })).status).toBe(204);
    const { events } = (await page(start)).body as { events: WireEvent[] };
    expect(events.map((e) => [e.type, e.id]).sort()).toEqual(
      [
        ['session', first.session.id],
        ['session', second.session.id],
        ['user', first.user.id],
      ].sort(),
    );
    const cursors = events.map((e) => Number(e.cursor));
    expect(cursors).toEqual([...cursors].sort((a, b) => a - b));
  });

  it('pages oldest first after any cursor, and starts from the beginning without one', async () => {
    const all = (await page()).body as { events: WireEvent[]; next: string };
    expect(all.events.length).toBeGreaterThanOrEqual(4);
    const middle = all.events[1]!.cursor;
    const rest = (await page(middle)).body as { events: WireEvent[]; next: string };
    expect(rest.events).toEqual(all.events.slice(2));
    expect(rest.next).toBe(all.next);
  });

  it('refuses a cursor it never handed out with 400 invalid_request', async () => {
    for (const after of ['abc', '-1', '1.5', '9'.repeat(20)]) {
      const res = await page(after);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request' });
    }
    const stream = await call(server.url, 'GET', '/revocations/stream', { bearer: admin, headers: { 'last-event-id': 'nope' } });
    expect(stream.status).toBe(400);
  });

  it('asks who is calling before it reads the cursor: a malformed one without a token is 401, without the scope 403', async () => {
    const person = await bearerLogin(server, 'cy@example.com');
    for (const path of ['/revocations', '/revocations/stream']) {
      for (const query of [`?after=${'9'.repeat(40)}`, '?after=1&after=2', '?after=abc']) {
        const anonymous = await call(server.url, 'GET', path + query);
        expect(anonymous.status, path + query).toBe(401);
        expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect((await call(server.url, 'GET', path + query, { bearer: person.access_token })).status, path + query).toBe(403);
      }
    }
  });

  it('streams the events after Last-Event-ID, then pushes a new revocation within a second', async () => {
    const all = (await page()).body as { events: WireEvent[]; next: string };
    const stream = await openStream(server, admin, { 'last-event-id': all.events[0]!.cursor });
    try {
      expect(stream.response.status).toBe(200);
      expect(stream.response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
      expect(stream.response.headers.get('x-request-id')).toBeTruthy();
      const backlog = all.events.length - 1;
      expect(await stream.waitFor(() => stream.events().length === backlog, 2000)).toBe(true);
      expect(stream.text.startsWith('retry: 1000\n\n')).toBe(true);
      expect(stream.events()).toEqual(all.events.slice(1).map((e) => ({ id: e.cursor, event: 'revocation', data: e })));

      const login = await bearerLogin(server, 'ana@example.com');
      await call(server.url, 'POST', '/auth/logout', { bearer: login.access_token });
      const pushed = await stream.waitFor(() => stream.events().some((e) => e.data.id === login.session.id), 1000);
      expect(pushed).toBe(true);
      const last = stream.events().at(-1)!;
      expect(last).toMatchObject({ event: 'revocation', data: { type: 'session', id: login.session.id } });
      expect(last.id).toBe(last.data.cursor);
    } finally {
      stream.close();
    }
  });

  it('resumes after ?after= when no Last-Event-ID is sent, and sends a heartbeat comment every 5 s', async () => {
    const all = (await page()).body as { events: WireEvent[]; next: string };
    const stream = await openStream(server, admin, {}, `?after=${all.next}`);
    try {
      expect(await stream.waitFor((t) => t.includes(': heartbeat\n\n'), 7000)).toBe(true);
      expect(stream.events()).toEqual([]);
    } finally {
      stream.close();
    }
  });
});

describe('revocation stream lifetime', () => {
  it('ends the stream when the caller`s access token expires, and when the server closes', async () => {
    const server = await startTestServer({ LATCHKEY_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}`, LATCHKEY_ACCESS_TTL: '2s' });
    let closed = false;
    try {
      const shortLived = await openStream(server, (await bearerLogin(server, ADMIN.email, ADMIN.password)).access_token);
      expect(shortLived.response.status).toBe(200);
      expect(await shortLived.waitFor(() => shortLived.ended, 4000)).toBe(true);

      const open = await openStream(server, (await bearerLogin(server, ADMIN.email, ADMIN.password)).access_token);
      expect(await open.waitFor((t) => t.startsWith('retry:'), 1000)).toBe(true);
      // An open stream must not keep the server from closing.
      await server.close();
      closed = true;
      expect(await open.waitFor(() => open.ended, 1000)).toBe(true);
    } finally {
      if (!closed) await server.close();
    }
  });
});
