/**
 * Conformance suite of the OAuth stores (clients, authorization codes, consents, revoked
 * client tokens), run against every adapter. It includes the races the core relies on
 * the store to settle: many exchanges of one code (exactly one consumes it) and a replay
 * racing the exchange (one of the two always sees the other).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuthorizationCodeRecord, ClientRecord } from '../ports.js';
import type { StoresFixture } from './store-conformance.js';

const T0 = Date.UTC(2030, 0, 1);

function client(overrides: Partial<ClientRecord> = {}): ClientRecord {
  return {
    id: `client-${randomUUID()}`,
    name: 'A Client',
    secretHash: 'c2VjcmV0LWhhc2g',
    redirectUris: ['https://app.example/cb', 'http://127.0.0.1/cb'],
    grantTypes: ['authorization_code', 'refresh_token'],
    scopes: ['openid', 'profile'],
    public: false,
    firstParty: false,
    createdAt: T0,
    ...overrides,
  };
}

function code(overrides: Partial<AuthorizationCodeRecord> = {}): AuthorizationCodeRecord {
  return {
    hash: randomUUID(),
    clientId: 'app',
    userId: randomUUID(),
    browserSessionId: randomUUID(),
    sessionType: 'extended',
    redirectUri: 'https://app.example/cb',
    redirectUriGiven: true,
    scope: 'openid profile',
    nonce: 'n-0S6_WzA2Mj',
    codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    codeChallengeMethod: 'S256',
    authTime: T0 - 5_000,
    createdAt: T0,
    expiresAt: T0 + 60_000,
    consumedAt: null,
    issuedSessionId: null,
    replayedAt: null,
    ...overrides,
  };
}

export function describeOAuthStores(name: string, make: () => Promise<StoresFixture>): void {
  describe(`OAuth stores: ${name}`, () => {
    let fixture: StoresFixture;
    beforeAll(async () => {
      fixture = await make();
    });
    afterAll(() => fixture?.close());
    const stores = () => fixture.stores;

    describe('ClientStore', () => {
      it('stores and reads a client exactly, and null for an unknown id', async () => {
        const c = client({ public: true, secretHash: null, firstParty: true, grantTypes: ['authorization_code'] });
        expect(await stores().clients.create(c)).toBe('created');
        expect(await stores().clients.findById(c.id)).toEqual(c);
        expect(await stores().clients.findById('nope')).toBeNull();
      });

      it('lets exactly one of concurrent registrations of one id win', async () => {
        const id = `race-${randomUUID()}`;
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => stores().clients.create(client({ id, name: `n${i}` }))));
        expect(results.filter((r) => r === 'created')).toHaveLength(1);
        expect(results.filter((r) => r === 'id_taken')).toHaveLength(7);
      });
    });

    describe('AuthorizationCodeStore', () => {
      it('stores a code exactly and consumes it once', async () => {
        const c = code();
        await stores().authorizationCodes.insert(c);
        const first = await stores().authorizationCodes.consume(c.hash, T0 + 1_000);
        expect(first).toEqual({ first: true, code: { ...c, consumedAt: T0 + 1_000 } });
        const second = await stores().authorizationCodes.consume(c.hash, T0 + 2_000);
        expect(second).toEqual({ first: false, code: { ...c, consumedAt: T0 + 1_000 } });
        expect(await stores().authorizationCodes.consume('unknown', T0)).toBeNull();
      });

      it('keeps nulls and the false flag', async () => {
        const c = code({ nonce: null, codeChallenge: null, codeChallengeMethod: null, redirectUriGiven: false, sessionType: 'standard' });
        await stores().authorizationCodes.insert(c);
        expect((await stores().authorizationCodes.consume(c.hash, T0))!.code).toEqual({ ...c, consumedAt: T0 });
      });

      it('lets exactly one of 10 concurrent consumptions win', async () => {
        const c = code();
        await stores().authorizationCodes.insert(c);
        const results = await Promise.all(Array.from({ length: 10 }, (_, i) => stores().authorizationCodes.consume(c.hash, T0 + i)));
        expect(results.filter((r) => r!.first)).toHaveLength(1);
      });

      it('reports a replay to the exchange, or the exchange to the replay, whichever came second', async () => {
        const before = code();
        await stores().authorizationCodes.insert(before);
        await stores().authorizationCodes.consume(before.hash, T0);
        expect(await stores().authorizationCodes.markReplayed(before.hash, T0 + 1)).toBeNull();
        expect(await stores().authorizationCodes.attachSession(before.hash, 'session-a')).toEqual({ replayed: true });

        const after = code();
        await stores().authorizationCodes.insert(after);
        await stores().authorizationCodes.consume(after.hash, T0);
        expect(await stores().authorizationCodes.attachSession(after.hash, 'session-b')).toEqual({ replayed: false });
        expect(await stores().authorizationCodes.markReplayed(after.hash, T0 + 1)).toBe('session-b');

        // Run together, at least one side learns of the other.
        for (let i = 0; i < 10; i++) {
          const c = code();
          await stores().authorizationCodes.insert(c);
          await stores().authorizationCodes.consume(c.hash, T0);
          const [attached, replayedSession] = await Promise.all([
            stores().authorizationCodes.attachSession(c.hash, `s-${i}`),
            stores().authorizationCodes.markReplayed(c.hash, T0 + 1),
          ]);
          expect(attached.replayed || replayedSession === `s-${i}`).toBe(true);
        }
      });

      it('purges codes that expired before the cut-off', async () => {
        const old = code({ expiresAt: T0 - 10 });
        const fresh = code({ expiresAt: T0 + 10 });
        await stores().authorizationCodes.insert(old);
        await stores().authorizationCodes.insert(fresh);
        expect(await stores().authorizationCodes.purge(T0)).toBeGreaterThanOrEqual(1);
        expect(await stores().authorizationCodes.consume(old.hash, T0)).toBeNull();
        expect(await stores().authorizationCodes.consume(fresh.hash, T0)).not.toBeNull();
      });
    });

    describe('ConsentStore', () => {
      it('creates, replaces, lists and revokes a consent', async () => {
        const userId = randomUUID();
        expect(await stores().consents.find(userId, 'a')).toBeNull();
        await stores().consents.save({ userId, clientId: 'b', scopes: ['openid'], createdAt: T0, updatedAt: T0 });
        await stores().consents.save({ userId, clientId: 'a', scopes: ['openid'], createdAt: T0, updatedAt: T0 });
        await stores().consents.save({ userId, clientId: 'a', scopes: ['openid', 'email'], createdAt: T0 + 5, updatedAt: T0 + 5 });
        expect(await stores().consents.find(userId, 'a')).toEqual({
          userId,
          clientId: 'a',
          scopes: ['openid', 'email'],
          createdAt: T0,
          updatedAt: T0 + 5,
        });
        expect((await stores().consents.listForUser(userId)).map((c) => c.clientId)).toEqual(['a', 'b']);
        expect(await stores().consents.revoke(userId, 'a')).toBe(true);
        expect(await stores().consents.revoke(userId, 'a')).toBe(false);
        expect(await stores().consents.find(userId, 'a')).toBeNull();
        expect(await stores().consents.listForUser(randomUUID())).toEqual([]);
      });
    });

    describe('RevokedClientTokenStore', () => {
      it('remembers a jti until it would have expired, idempotently', async () => {
        const jti = randomUUID();
        expect(await stores().revokedClientTokens.has(jti, T0)).toBe(false);
        await stores().revokedClientTokens.add(jti, T0 + 1_000);
        await stores().revokedClientTokens.add(jti, T0 + 1_000);
        expect(await stores().revokedClientTokens.has(jti, T0 + 999)).toBe(true);
        expect(await stores().revokedClientTokens.has(jti, T0 + 1_000)).toBe(false);
        expect(await stores().revokedClientTokens.purge(T0 + 1_000)).toBeGreaterThanOrEqual(1);
        expect(await stores().revokedClientTokens.has(jti, T0)).toBe(false);
      });
    });
  });
}
