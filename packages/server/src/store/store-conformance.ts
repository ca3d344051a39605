/**
 * The one conformance suite every store adapter must pass (SQLite, PostgreSQL). It asks
 * the ports' questions exactly as the core asks them, including the races the core
 * relies on the store to settle: concurrent claims of one refresh token, concurrent
 * sign-ups with one email, concurrent key rotations.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewRefreshToken, RefreshTokenRecord, SessionRecord, StoredKey, UserRecord } from '../ports.js';
import type { Stores } from './index.js';

export interface StoresFixture {
  stores: Stores;
  close(): Promise<void>;
}

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);

function user(overrides: Partial<UserRecord> = {}): UserRecord {
  const email = overrides.email ?? `u-${randomUUID()}@example.com`;
  return {
    id: randomUUID(),
    email,
    emailNormalized: email.toLowerCase(),
    name: 'Some One',
    passwordHash: '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA',
    roles: [],
    tenantId: null,
    status: 'active',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

function session(userId: string, overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: randomUUID(),
    userId,
    type: 'standard',
    clientId: 'latchkey',
    scope: 'openid profile',
    createdAt: T0,
    expiresAt: T0 + DAY,
    idleExpiresAt: T0 + DAY,
    lastUsedAt: T0,
    ip: '127.0.0.1',
    userAgent: 'conformance',
    refreshGeneration: 0,
    refreshParentId: null,
    endedAt: null,
    endReason: null,
    ...overrides,
  };
}

function refreshToken(generation: number, overrides: Partial<NewRefreshToken> = {}): NewRefreshToken {
  return {
    id: randomUUID(),
    hash: randomBytes(32).toString('base64url'),
    generation,
    createdAt: T0,
    expiresAt: T0 + DAY,
    ...overrides,
  };
}

function key(createdAt: number, overrides: Partial<StoredKey> = {}): StoredKey {
  return {
    kid: randomUUID(),
    alg: 'ES256',
    publicJwk: JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }),
    privateJwkEncrypted: 'v1.' + randomBytes(16).toString('base64url'),
    createdAt,
    retiredAt: null,
    publishUntil: null,
    ...overrides,
  };
}

/**
 * Registers vitest `describe` blocks for every store port over stores from `make`.
 * `make` is called once per block; each block's data is kept apart by fresh ids.
 */
export function describeStores(name: string, make: () => Promise<StoresFixture>): void {
  describe(`${name} stores`, () => {
    let fixture: StoresFixture;
    beforeAll(async () => {
      fixture = await make();
    });
    afterAll(() => fixture?.close());
    const stores = () => fixture.stores;

    describe('UserStore', () => {
      it('creates a user and finds it by id and by normalized email, with roles and tenant intact', async () => {
        const u = user({ roles: ['admin', 'support'], tenantId: 'tenant-1', name: 'Ana Lucía' });
        expect(await stores().users.create(u)).toBe('created');
        expect(await stores().users.findById(u.id)).toEqual(u);
        expect(await stores().users.findByEmail(u.emailNormalized)).toEqual(u);
        expect(await stores().users.findById(randomUUID())).toBeNull();
        expect(await stores().users.findByEmail('nobody-' + randomUUID() + '@example.com')).toBeNull();
      });

      it('answers email_taken for a second user with the same normalized email, and keeps the first', async () => {
        const first = user();
        expect(await stores().users.create(first)).toBe('created');
        const second = user({ email: first.email.toUpperCase(), emailNormalized: first.emailNormalized });
        expect(await stores().users.create(second)).toBe('email_taken');
        expect(await stores().users.findById(second.id)).toBeNull();
        expect((await stores().users.findByEmail(first.emailNormalized))?.id).toBe(first.id);
      });

      it('lets exactly one of 10 concurrent sign-ups with one email win', async () => {
        const email = `race-${randomUUID()}@example.com`;
        const candidates = Array.from({ length: 10 }, () => user({ email }));
        const results = await Promise.all(candidates.map((c) => stores().users.create(c)));
        expect(results.filter((r) => r === 'created')).toHaveLength(1);
        expect(results.filter((r) => r === 'email_taken')).toHaveLength(9);
        const winner = candidates[results.indexOf('created')]!;
        expect((await stores().users.findByEmail(email))?.id).toBe(winner.id);
      });

      it('changes the password hash and the status, and says whether the user existed', async () => {
        const u = user();
        await stores().users.create(u);
        await stores().users.setPasswordHash(u.id, 'new-hash', T0 + 5);
        expect(await stores().users.setStatus(u.id, 'blocked', T0 + 6)).toBe(true);
        expect(await stores().users.findById(u.id)).toEqual({ ...u, passwordHash: 'new-hash', status: 'blocked', updatedAt: T0 + 6 });
        expect(await stores().users.setStatus(randomUUID(), 'blocked', T0)).toBe(false);
      });

      it('searches email and name case-insensitively, treats % and _ literally, and pages by id', async () => {
        const tag = randomUUID().slice(0, 8);
        const made = [
          user({ email: `a.${tag}@example.com`, name: 'Alpha' }),
          user({ email: `b.${tag}@example.com`, name: 'Beta' }),
          user({ email: `c.${tag}@example.com`, name: 'Gamma' }),
          user({ email: `d@example.com-${randomUUID()}`, name: `Delta ${tag.toUpperCase()}` }),
          user({ email: `e@example.com-${randomUUID()}`, name: `100%_${tag}` }),
        ];
        for (const u of made) await stores().users.create(u);
        const expected = made.map((u) => u.id).sort();

        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const page = await stores().users.search(tag, cursor, 2);
          expect(page.users.length).toBeLessThanOrEqual(2);
          seen.push(...page.users.map((u) => u.id));
          cursor = page.next;
          pages++;
        } while (cursor && pages < 10);
        expect(seen).toEqual(expected);
        expect(pages).toBe(3);

        expect((await stores().users.search(`%_${tag}`, null, 10)).users.map((u) => u.id)).toEqual([made[4]!.id]);
        expect((await stores().users.search(`1_0%_${tag}`, null, 10)).users).toEqual([]);
      });
    });

    describe('SessionStore', () => {
      async function newSession(overrides: Partial<SessionRecord> = {}, userId = randomUUID()) {
        const s = session(userId, overrides);
        const first = refreshToken(1);
        await stores().sessions.create(s, first);
        const token = (await stores().sessions.findRefreshToken(first.hash))!;
        return { session: s, token };
      }
      const change = (s: SessionRecord, token: RefreshTokenRecord, now = T0 + 1000) => ({
        sessionId: s.id,
        token,
        successor: refreshToken(token.generation + 1, { createdAt: now, expiresAt: now + DAY }),
        now,
        idleExpiresAt: now + DAY,
      });

      it('creates a session with its first refresh token and reads both back', async () => {
        const { session: s, token } = await newSession({ type: 'extended', ip: '::1' });
        expect(await stores().sessions.findById(s.id)).toEqual(s);
        expect(token).toMatchObject({ sessionId: s.id, generation: 1 });
        expect(await stores().sessions.findById(randomUUID())).toBeNull();
        expect(await stores().sessions.findRefreshToken('no-such-hash')).toBeNull();
      });

      it('reads a refresh token together with its session in one call, and null for an unknown hash', async () => {
        const { session: s, token } = await newSession({ type: 'extended', scope: 'openid email', endedAt: T0 + 5, endReason: 'logout' });
        expect(await stores().sessions.findRefreshTokenWithSession(token.hash)).toEqual({ token, session: s });
        const c = change(s, token);
        await stores().sessions.reissueRefreshToken(c); // the session has ended: nothing is written
        expect(await stores().sessions.findRefreshTokenWithSession(c.successor.hash)).toBeNull();
        expect(await stores().sessions.findRefreshTokenWithSession('no-such-hash')).toBeNull();
      });

      it('claims a fresh token once: the session moves to its generation and the successor exists', async () => {
        const { session: s, token } = await newSession();
        const c = change(s, token);
        expect(await stores().sessions.claimRefreshToken(c)).toBe(true);
        expect(await stores().sessions.findById(s.id)).toEqual({
          ...s,
          refreshGeneration: 1,
          refreshParentId: token.id,
          lastUsedAt: c.now,
          idleExpiresAt: c.idleExpiresAt,
        });
        expect(await stores().sessions.findRefreshToken(c.successor.hash)).toEqual({ ...c.successor, sessionId: s.id });
        // A second claim of the same token loses and writes nothing.
        const again = change(s, token);
        expect(await stores().sessions.claimRefreshToken(again)).toBe(false);
        expect(await stores().sessions.findRefreshToken(again.successor.hash)).toBeNull();
      });

      it('lets exactly one of 30 concurrent claims of one token win, and inserts only the winner’s successor', async () => {
        const { session: s, token } = await newSession();
        const changes = Array.from({ length: 30 }, () => change(s, token));
        const results = await Promise.all(changes.map((c) => stores().sessions.claimRefreshToken(c)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const present = await Promise.all(changes.map((c) => stores().sessions.findRefreshToken(c.successor.hash)));
        expect(present.map((p) => p !== null)).toEqual(results);
        expect((await stores().sessions.findById(s.id))?.refreshGeneration).toBe(1);
      });

      it('settles a fight between claims of a successor and reissues of its parent with every write all-or-nothing', async () => {
        const { session: s, token } = await newSession();
        const firstClaim = change(s, token);
        expect(await stores().sessions.claimRefreshToken(firstClaim)).toBe(true);
        const child = (await stores().sessions.findRefreshToken(firstClaim.successor.hash))!;

        // 20 retries of the parent (allowed while it is the parent) race 20 claims of its child.
        const reissues = Array.from({ length: 20 }, () => change(s, token, T0 + 2000));
        const claims = Array.from({ length: 20 }, () => change(s, child, T0 + 2000));
        const [reissued, claimed] = await Promise.all([
          Promise.all(reissues.map((c) => stores().sessions.reissueRefreshToken(c))),
          Promise.all(claims.map((c) => stores().sessions.claimRefreshToken(c))),
        ]);
        expect(claimed.filter(Boolean)).toHaveLength(1);
        const after = (await stores().sessions.findById(s.id))!;
        expect(after).toMatchObject({ refreshGeneration: 2, refreshParentId: child.id });
        for (const [i, c] of [...reissues, ...claims].entries()) {
          const won = i < 20 ? reissued[i] : claimed[i - 20];
          expect((await stores().sessions.findRefreshToken(c.successor.hash)) !== null).toBe(won);
        }
        // Once the child is the parent, the old parent can no longer be reissued.
        expect(await stores().sessions.reissueRefreshToken(change(s, token, T0 + 3000))).toBe(false);
        expect(await stores().sessions.reissueRefreshToken(change(s, child, T0 + 3000))).toBe(true);
      });

      it('refuses claims and reissues on an ended session', async () => {
        const { session: s, token } = await newSession();
        const c = change(s, token);
        expect(await stores().sessions.claimRefreshToken(c)).toBe(true);
        expect(await stores().sessions.end(s.id, 'logout', T0 + 5000)).toBe(true);
        expect(await stores().sessions.reissueRefreshToken(change(s, token))).toBe(false);
        const child = (await stores().sessions.findRefreshToken(c.successor.hash))!;
        expect(await stores().sessions.claimRefreshToken(change(s, child))).toBe(false);
      });

      it('ends a session once, keeping the first reason; ending twice or ending nothing is false', async () => {
        const { session: s } = await newSession();
        const results = await Promise.all([
          stores().sessions.end(s.id, 'revoked', T0 + 10),
          stores().sessions.end(s.id, 'revoked', T0 + 10),
          stores().sessions.end(s.id, 'revoked', T0 + 10),
        ]);
        expect(results.filter(Boolean)).toHaveLength(1);
        expect(await stores().sessions.end(s.id, 'logout', T0 + 20)).toBe(false);
        expect(await stores().sessions.findById(s.id)).toMatchObject({ endedAt: T0 + 10, endReason: 'revoked' });
        expect(await stores().sessions.end(randomUUID(), 'logout', T0)).toBe(false);
      });

      it('ends every active session of a user except one, lists active ones and counts them', async () => {
        const userId = randomUUID();
        const now = T0 + 1000;
        const a = await newSession({ createdAt: T0 }, userId);
        const b = await newSession({ createdAt: T0 + 1, type: 'extended' }, userId);
        const c = await newSession({ createdAt: T0 + 2 }, userId);
        const lapsed = await newSession({ createdAt: T0 + 3, idleExpiresAt: now - 1 }, userId);
        const other = await newSession({}, randomUUID());

        expect((await stores().sessions.listActiveForUser(userId, now)).map((s) => s.id)).toEqual([
          c.session.id,
          b.session.id,
          a.session.id,
        ]);
        const ended = await stores().sessions.endAllForUser(userId, 'logout_all', now, b.session.id);
        expect(ended.sort()).toEqual([a.session.id, c.session.id, lapsed.session.id].sort());
        expect((await stores().sessions.listActiveForUser(userId, now)).map((s) => s.id)).toEqual([b.session.id]);
        expect(await stores().sessions.findById(other.session.id)).toMatchObject({ endedAt: null });
        expect(await stores().sessions.endAllForUser(userId, 'logout_all', now + 1, b.session.id)).toEqual([]);
        expect(await stores().sessions.endAllForUser(userId, 'blocked', now + 2)).toEqual([b.session.id]);
      });

      it('lists sessions ended after a time, for rebuilding what nodes remember', async () => {
        const base = T0 + 50 * DAY + Math.floor(Math.random() * DAY);
        const early = await newSession();
        const late = await newSession();
        await newSession();
        await stores().sessions.end(early.session.id, 'logout', base);
        await stores().sessions.end(late.session.id, 'revoked', base + 100);
        const ids = (await stores().sessions.listEndedSince(base - 1)).filter((r) => r.endedAt < base + 1000);
        expect(ids).toEqual(
          expect.arrayContaining([
            { id: early.session.id, endedAt: base },
            { id: late.session.id, endedAt: base + 100 },
          ]),
        );
        expect((await stores().sessions.listEndedSince(base)).map((r) => r.id)).toContain(late.session.id);
        expect((await stores().sessions.listEndedSince(base)).map((r) => r.id)).not.toContain(early.session.id);
      });

      it('counts active sessions by type', async () => {
        const now = T0 + 1000;
        const before = await stores().sessions.countActive(now);
        await newSession({ type: 'standard' });
        await newSession({ type: 'extended' });
        await newSession({ type: 'extended' });
        const gone = await newSession({ type: 'extended' });
        await stores().sessions.end(gone.session.id, 'logout', now);
        await newSession({ type: 'standard', expiresAt: now });
        expect(await stores().sessions.countActive(now)).toEqual({ standard: before.standard + 1, extended: before.extended + 2 });
      });

      it('purges expired tokens and long-ended sessions with their tokens, keeping the rest', async () => {
        const now = T0 + 400 * DAY;
        const endedBefore = now - 30 * DAY;
        const old = await newSession({ createdAt: now - 40 * DAY, expiresAt: now - 39 * DAY, idleExpiresAt: now - 39 * DAY });
        const recentEnd = await newSession({ createdAt: now - 2 * DAY, expiresAt: now + DAY, idleExpiresAt: now + DAY });
        await stores().sessions.end(recentEnd.session.id, 'logout', now - DAY);
        const live = await newSession({ createdAt: now - DAY, expiresAt: now + DAY, idleExpiresAt: now + DAY });
        const expiredToken = refreshToken(2, { expiresAt: now - 1 });
        const liveToken = refreshToken(2, { expiresAt: now + DAY });
        // Attach two more tokens to the live session through a claim and a reissue.
        const parent = live.token;
        expect(
          await stores().sessions.claimRefreshToken({
            sessionId: live.session.id,
            token: parent,
            successor: expiredToken,
            now,
            idleExpiresAt: now + DAY,
          }),
        ).toBe(true);
        expect(
          await stores().sessions.reissueRefreshToken({
            sessionId: live.session.id,
            token: parent,
            successor: liveToken,
            now,
            idleExpiresAt: now + DAY,
          }),
        ).toBe(true);

        const removed = await stores().sessions.purge(now, endedBefore);
        expect(removed).toBeGreaterThanOrEqual(3); // old session + its token + the expired token
        expect(await stores().sessions.findById(old.session.id)).toBeNull();
        expect(await stores().sessions.findRefreshToken(old.token.hash)).toBeNull();
        expect(await stores().sessions.findRefreshToken(expiredToken.hash)).toBeNull();
        expect(await stores().sessions.findById(recentEnd.session.id)).not.toBeNull();
        expect(await stores().sessions.findById(live.session.id)).not.toBeNull();
        expect(await stores().sessions.findRefreshToken(liveToken.hash)).not.toBeNull();
      });
    });

    describe('KeyStore', () => {
      // Each test works on its own keys; keys from other tests are told apart by kid.
      const mine = async (kids: string[]) => (await stores().keys.list()).filter((k) => kids.includes(k.kid));

      it('inserts keys and lists them newest first', async () => {
        const base = T0 + Math.floor(Math.random() * 1e9);
        const a = key(base);
        const b = key(base + 1, { alg: 'RS256', publicJwk: null });
        await stores().keys.insert(a);
        await stores().keys.insert(b);
        expect(await mine([a.kid, b.kid])).toEqual([b, a]);
      });

      it('retires every older signing key, never the one it keeps, even when two rotations race', async () => {
        const base = T0 + 2e9 + Math.floor(Math.random() * 1e9);
        const old = key(base);
        await stores().keys.insert(old);
        // Two nodes rotate at once: each inserts its key and retires what orders before it.
        const a = key(base + 10, { kid: '00000000-a' + randomUUID().slice(10) });
        const b = key(base + 10, { kid: 'ffffffff-b' + randomUUID().slice(10) });
        await Promise.all(
          [a, b].map(async (k) => {
            await stores().keys.insert(k);
            await stores().keys.retireOlderThan({ kid: k.kid, createdAt: k.createdAt }, base + 20, base + 1000);
          }),
        );
        const [newest, ...rest] = await mine([old.kid, a.kid, b.kid]);
        // Same createdAt: the greater kid orders last and keeps signing.
        expect(newest).toEqual(b);
        expect(rest.map((k) => [k.kid, k.retiredAt, k.publishUntil])).toEqual([
          [a.kid, base + 20, base + 1000],
          [old.kid, base + 20, base + 1000],
        ]);
        // Retiring again does not move the first retirement.
        await stores().keys.retireOlderThan({ kid: b.kid, createdAt: b.createdAt }, base + 30, base + 2000);
        expect((await mine([a.kid]))[0]).toMatchObject({ retiredAt: base + 20, publishUntil: base + 1000 });
      });

      it('retires the older of two new keys even when its own node retired before the newer key was stored', async () => {
        const base = T0 + 4e9 + Math.floor(Math.random() * 1e9);
        const older = key(base + 10, { kid: '00000000-c' + randomUUID().slice(10) });
        const newer = key(base + 10, { kid: 'ffffffff-d' + randomUUID().slice(10) });
        // The interleaving the race above can take: the newer key's node inserts and
        // retires first, then the older key's node inserts and retires.
        await stores().keys.insert(newer);
        await stores().keys.retireOlderThan({ kid: newer.kid, createdAt: newer.createdAt }, base + 20, base + 1000);
        await stores().keys.insert(older);
        await stores().keys.retireOlderThan({ kid: older.kid, createdAt: older.createdAt }, base + 30, base + 2000);
        expect((await mine([older.kid, newer.kid])).map((k) => [k.kid, k.retiredAt, k.publishUntil])).toEqual([
          [newer.kid, null, null],
          [older.kid, base + 30, base + 2000],
        ]);
      });

      it('creates the first key once when nodes start together on a store with none signing', async () => {
        // This test needs a store where nothing signs yet: retire everything first.
        const now = T0 + 5e9;
        const all = await stores().keys.list();
        const latest = Math.max(0, ...all.map((k) => k.createdAt));
        await stores().keys.retireOlderThan({ kid: '', createdAt: latest + 1 }, now, now + 1000);
        const candidates = Array.from({ length: 5 }, (_, i) => key(now + i));
        const results = await Promise.all(candidates.map((k) => stores().keys.insertIfNoneSigning(k)));
        expect(results.filter(Boolean)).toHaveLength(1);
        const signing = (await stores().keys.list()).filter((k) => k.retiredAt === null);
        expect(signing).toEqual([candidates[results.indexOf(true)]]);
        expect(await stores().keys.insertIfNoneSigning(key(now + 10))).toBe(false);
      });

      it('deletes keys whose publication ended', async () => {
        const base = T0 + 8e9;
        const gone = key(base, { retiredAt: base, publishUntil: base + 10 });
        const kept = key(base, { retiredAt: base, publishUntil: base + 1000 });
        await stores().keys.insert(gone);
        await stores().keys.insert(kept);
        expect(await stores().keys.deleteExpired(base + 10)).toBeGreaterThanOrEqual(1);
        expect((await mine([gone.kid, kept.kid])).map((k) => k.kid)).toEqual([kept.kid]);
      });
    });

    describe('AuditStore', () => {
      it('returns events newest first, filtered by user and type, page by page without gaps or repeats', async () => {
        const userId = randomUUID();
        const other = randomUUID();
        const at = T0 + 1000;
        const appended = [];
        for (let i = 0; i < 7; i++) {
          const event = {
            type: i % 2 ? 'login_failed' : 'login_succeeded',
            severity: i % 2 ? ('warning' as const) : ('info' as const),
            userId,
            sessionId: i % 2 ? null : randomUUID(),
            ip: '10.0.0.1',
            userAgent: 'ua',
            requestId: `req-${i}`,
            at: at + i,
            data: { i, nested: { ok: true } },
          };
          appended.push(event);
          await stores().audit.append(event);
        }
        await stores().audit.append({ ...appended[0]!, userId: other, requestId: 'other' });

        const pages: string[][] = [];
        let cursor: string | null = null;
        do {
          const page: Awaited<ReturnType<Stores['audit']['query']>> = await stores().audit.query({ userId, cursor, limit: 3 });
          pages.push(page.events.map((e) => e.requestId!));
          cursor = page.next;
        } while (cursor);
        expect(pages).toEqual([['req-6', 'req-5', 'req-4'], ['req-3', 'req-2', 'req-1'], ['req-0']]);
        const failed = await stores().audit.query({ userId, type: 'login_failed', limit: 10 });
        expect(failed.events.map((e) => e.requestId)).toEqual(['req-5', 'req-3', 'req-1']);
        expect(failed.next).toBeNull();
        const [newest] = (await stores().audit.query({ userId, limit: 1 })).events;
        expect(newest).toEqual({ ...appended[6], id: expect.any(String) });
      });
    });
  });
}
