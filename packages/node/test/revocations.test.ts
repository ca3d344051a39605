import { createServer, type AddressInfo, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../server/test/support/client.js';
import { startTestServer, type TestServer } from '../../server/test/support/server.js';
import { createVerifier, TokenRevokedError, VerifierUnavailableError, type RevocationOptions, type Verifier } from '../src/index.js';
import { ADMIN, adminLogin, claimsOf, forge, login, register, rejection, startLatchkey, within } from './support/latchkey.js';
import { startTcpProxy, type TcpProxy } from './support/tcp-proxy.js';

const verifiers: Verifier[] = [];
afterEach(async () => {
  await Promise.all(verifiers.splice(0).map((v) => v.close()));
});

/** A verifier following the feed of `url` (optionally through `via`, a proxy), counting its requests. */
function following(url: string, feedToken: string, revocations: Partial<RevocationOptions> = {}, via?: string) {
  const requests: string[] = [];
  const base = via ?? url;
  const verifier = createVerifier({
    issuer: url,
    audience: url,
    jwksUri: `${base}/.well-known/jwks.json`,
    revocations: { follow: true, accessToken: feedToken, url: `${base}/revocations`, ...revocations },
    fetch: (input, init) => {
      requests.push(new URL(input).pathname);
      return fetch(input, init);
    },
  });
  verifiers.push(verifier);
  return { verifier, requests };
}

/** 'accepted', or the error a verification failed with. */
async function outcome(verification: Promise<unknown>): Promise<unknown> {
  try {
    await verification;
    return 'accepted';
  } catch (error) {
    return error;
  }
}

/** Whether the verifier refuses the token as revoked (false when it accepts it). */
async function revoked(verifier: Verifier, token: string): Promise<boolean> {
  try {
    await verifier.verify(token);
    return false;
  } catch (error) {
    if (error instanceof TokenRevokedError) return true;
    throw error;
  }
}

describe('following the revocation feed', () => {
  let server: TestServer;
  let feedToken: string;

  beforeAll(async () => {
    server = await startTestServer({ LATCHKEY_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}` });
    for (const name of ['ana', 'bo', 'cy', 'di']) await register(server.url, `${name}@example.com`);
    feedToken = (await adminLogin(server.url)).access_token;
  });
  afterAll(() => server.close());

  it('rejects a token within 1 s of its session`s logout, with no network call per request', async () => {
    const { verifier, requests } = following(server.url, feedToken);
    await verifier.ready();
    const ana = await login(server.url, 'ana@example.com');
    expect((await verifier.verify(ana.access_token)).sid).toBe(ana.session.id);
    expect(verifier.status().revocations).toMatchObject({ transport: 'sse', connected: true, synced: true });

    const before = requests.length;
    expect((await call(server.url, 'POST', '/auth/logout', { bearer: ana.access_token })).status).toBe(204);
    const elapsed = await within(1000, () => revoked(verifier, ana.access_token));
    expect(elapsed).not.toBeNull();
    const error = await rejection(verifier.verify(ana.access_token));
    expect(error).toBeInstanceOf(TokenRevokedError);
    expect(error).toMatchObject({ code: 'token_revoked', status: 401, rule: 'session' });
    // Thousands of checks later, still no request of its own: the denylist is local.
    for (let i = 0; i < 1000; i++) await rejection(verifier.verify(ana.access_token));
    expect(requests.length).toBe(before);
  });

  it('starts from the whole log: a verifier created after a revocation rejects the token at once', async () => {
    const bo = await login(server.url, 'bo@example.com');
    await call(server.url, 'POST', '/auth/logout', { bearer: bo.access_token });
    const { verifier } = following(server.url, feedToken);
    // Its first verification waits for the first catch-up; no window where the token passes.
    expect(await revoked(verifier, bo.access_token)).toBe(true);
  });

  it('applies logout-all to every session of the user, yet accepts a sign-in right after it', async () => {
    const { verifier } = following(server.url, feedToken);
    await verifier.ready();
    const first = await login(server.url, 'cy@example.com');
    const second = await login(server.url, 'cy@example.com');
    await call(server.url, 'POST', '/auth/logout-all', { bearer: first.access_token });
    expect(
      await within(1000, async () => (await revoked(verifier, first.access_token)) && (await revoked(verifier, second.access_token))),
    ).not.toBeNull();

    const again = await login(server.url, 'cy@example.com');
    expect((await verifier.verify(again.access_token)).sid).toBe(again.session.id);

    // The `user` rule on its own: any token of the user issued in an earlier second, whatever its session.
    const old = await forge(server.latchkey, {
      ...claimsOf(again.access_token),
      sid: 'some-other-session',
      iat: (claimsOf(again.access_token).iat as number) - 5,
      jti: 'old-one',
    });
    expect(await rejection(verifier.verify(old))).toMatchObject({ code: 'token_revoked', rule: 'user' });
  });

  it('polls instead when asked to (transport: poll), and still sees a revocation', async () => {
    const { verifier, requests } = following(server.url, feedToken, { transport: 'poll', pollIntervalMs: 100 });
    await verifier.ready();
    const di = await login(server.url, 'di@example.com');
    expect((await verifier.verify(di.access_token)).sub).toBe(di.user.id);
    await call(server.url, 'POST', '/auth/logout', { bearer: di.access_token });
    expect(await within(2000, () => revoked(verifier, di.access_token))).not.toBeNull();
    expect(requests).not.toContain('/revocations/stream');
    expect(verifier.status().revocations?.transport).toBe('poll');
  });

  it('falls back to polling when the server has no event stream', async () => {
    const requests: string[] = [];
    const verifier = createVerifier({
      issuer: server.url,
      audience: server.url,
      revocations: { follow: true, accessToken: feedToken, pollIntervalMs: 100 },
      fetch: (input, init) => {
        requests.push(new URL(input).pathname);
        return input.includes('/revocations/stream') ? Promise.resolve(new Response('not here', { status: 404 })) : fetch(input, init);
      },
    });
    verifiers.push(verifier);
    await verifier.ready();
    expect(await within(2000, () => verifier.status().revocations?.transport === 'poll')).not.toBeNull();
    const ana = await login(server.url, 'ana@example.com');
    await call(server.url, 'POST', '/auth/logout', { bearer: ana.access_token });
    expect(await within(2000, () => revoked(verifier, ana.access_token))).not.toBeNull();
    expect(requests.filter((r) => r === '/revocations/stream')).toHaveLength(1);
  });

  it('closes at once, even while a catch-up request to the feed hangs', async () => {
    // A server that accepts connections and never answers.
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const verifier = createVerifier({
        issuer: server.url,
        audience: server.url,
        revocations: { follow: true, accessToken: feedToken, url: `http://127.0.0.1:${port}/revocations` },
      });
      expect(await within(2000, () => sockets.length > 0)).not.toBeNull();
      const outcome = await Promise.race([
        verifier.close().then(() => 'closed'),
        new Promise((resolve) => setTimeout(() => resolve('still open'), 2000)),
      ]);
      expect(outcome).toBe('closed');
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  it('refuses to follow the feed without a token to read it', () => {
    expect(() => createVerifier({ issuer: server.url, audience: server.url, revocations: { follow: true } })).toThrow(/accessToken/);
  });
});

describe('a feed outage', () => {
  let server: TestServer;
  let proxy: TcpProxy;
  let feedToken: string;

  beforeAll(async () => {
    server = await startTestServer({ LATCHKEY_BOOTSTRAP_ADMIN: `${ADMIN.email}:${ADMIN.password}` });
    await register(server.url, 'eve@example.com');
    feedToken = (await adminLogin(server.url)).access_token;
    const { port } = new URL(server.url);
    proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(port) });
  });
  afterAll(async () => {
    await proxy.close();
    await server.close();
  });

  it('catches up from its last cursor after the network comes back, missing nothing revoked meanwhile', async () => {
    const { verifier } = following(server.url, feedToken, {}, proxy.url);
    const sessions = await Promise.all([1, 2, 3].map(() => login(server.url, 'eve@example.com')));
    await verifier.ready();
    for (const s of sessions) expect((await verifier.verify(s.access_token)).sid).toBe(s.session.id);
    const cursorBefore = verifier.status().revocations!.cursor;

    await proxy.cut();
    expect(await within(1000, () => verifier.status().revocations!.connected === false)).not.toBeNull();
    // Revoked while the verifier cannot hear: it keeps accepting (fail open by default).
    for (const s of sessions) await call(server.url, 'POST', '/auth/logout', { bearer: s.access_token });
    await new Promise((r) => setTimeout(r, 300));
    for (const s of sessions) expect((await verifier.verify(s.access_token)).sid).toBe(s.session.id);

    await proxy.restore();
    expect(
      await within(10_000, async () => (await Promise.all(sessions.map((s) => revoked(verifier, s.access_token)))).every(Boolean)),
    ).not.toBeNull();
    expect(await within(5000, () => verifier.status().revocations!.connected)).not.toBeNull();
    expect(Number(verifier.status().revocations!.cursor)).toBeGreaterThan(Number(cursorBefore ?? 0));
  });

  it('fails closed once the feed has been silent past failClosedAfterMs, and opens again when it is back', async () => {
    const { verifier } = following(server.url, feedToken, { failClosedAfterMs: 500 }, proxy.url);
    const live = await login(server.url, 'eve@example.com');
    await verifier.ready();
    expect((await verifier.verify(live.access_token)).sid).toBe(live.session.id);

    await proxy.cut();
    const stale = await within(3000, async () => (await outcome(verifier.verify(live.access_token))) instanceof VerifierUnavailableError);
    expect(stale).not.toBeNull();
    expect(await rejection(verifier.verify(live.access_token))).toMatchObject({ code: 'revocation_feed_stale', status: 503 });

    await proxy.restore();
    expect(await within(10_000, async () => (await outcome(verifier.verify(live.access_token))) === 'accepted')).not.toBeNull();
  });

  it('fails closed when an open stream stops beating: a bound under the heartbeat period counts as one beat and a second, not 15 s', async () => {
    const { verifier } = following(server.url, feedToken, { failClosedAfterMs: 2000 }, proxy.url);
    const live = await login(server.url, 'eve@example.com');
    await verifier.ready();
    expect(await within(5000, () => verifier.status().revocations!.connected)).not.toBeNull();
    proxy.freeze();
    try {
      const started = Date.now();
      const stale = await within(9000, async () => (await outcome(verifier.verify(live.access_token))) instanceof VerifierUnavailableError);
      expect(stale).not.toBeNull();
      expect(Date.now() - started).toBeLessThan(8000);
    } finally {
      await proxy.cut();
      await proxy.restore();
    }
  });

  it('after an outage of seconds, enforces what was revoked meanwhile within about a second of the feed coming back', async () => {
    const { verifier } = following(server.url, feedToken, {}, proxy.url);
    const eve = await login(server.url, 'eve@example.com');
    await verifier.ready();
    await proxy.cut();
    await call(server.url, 'POST', '/auth/logout', { bearer: eve.access_token });
    // Long enough for the back-off to reach its ceiling (0.25, 0.5, 1, 1 s, ...).
    await new Promise((r) => setTimeout(r, 4000));
    await proxy.restore();
    const back = Date.now();
    expect(await within(3000, () => revoked(verifier, eve.access_token))).not.toBeNull();
    expect(Date.now() - back).toBeLessThan(2000);
  });
});

describe('a Latchkey restart', () => {
  it('resumes after the restart from the durable log, including what was revoked while the feed was cut', async () => {
    const latchkey = await startLatchkey();
    const { port } = new URL(latchkey.url);
    const proxy = await startTcpProxy({ host: '127.0.0.1', port: Number(port) });
    try {
      await register(latchkey.url, 'fay@example.com');
      const feedToken = (await adminLogin(latchkey.url)).access_token;
      const fay = await login(latchkey.url, 'fay@example.com');
      const { verifier } = following(latchkey.url, feedToken, {}, proxy.url);
      await verifier.ready();
      expect((await verifier.verify(fay.access_token)).sid).toBe(fay.session.id);

      await proxy.cut();
      await call(latchkey.url, 'POST', '/auth/logout', { bearer: fay.access_token });
      await latchkey.stop();
      await latchkey.start();
      await proxy.restore();

      expect(await within(10_000, () => revoked(verifier, fay.access_token))).not.toBeNull();
      // And the restarted server's stream pushes new revocations again.
      const again = await login(latchkey.url, 'fay@example.com');
      expect((await verifier.verify(again.access_token)).sid).toBe(again.session.id);
      await call(latchkey.url, 'POST', '/auth/logout', { bearer: again.access_token });
      expect(await within(5000, () => revoked(verifier, again.access_token))).not.toBeNull();
    } finally {
      await proxy.close();
      await latchkey.close();
    }
  });
});
