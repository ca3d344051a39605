import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RevocationBus, RevocationListener, SessionRecord } from '../../ports.js';
import { openStores, type Stores } from '../../store/index.js';
import { announcingSessionStore, CLOCK_SKEW_MS, LIVENESS_TRUST_MS, SessionLiveness } from './session-liveness.js';

class Clock {
  current = Date.UTC(2031, 0, 1);
  now = () => this.current;
}

/** A bus whose connection the test controls: what Redis pub/sub looks like from a node. */
class ControlledBus implements RevocationBus {
  listeners: RevocationListener[] = [];
  published: string[][] = [];
  async publish(ids: string[]) {
    this.published.push(ids);
    for (const l of this.listeners) l.ended(ids);
  }
  subscribe(listener: RevocationListener) {
    this.listeners.push(listener);
  }
  interrupt() {
    for (const l of this.listeners) l.interrupted();
  }
  resume(since: number) {
    for (const l of this.listeners) l.resumed(since);
  }
  async close() {}
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('SessionLiveness', () => {
  let stores: Stores;
  let clock: Clock;
  let bus: ControlledBus;
  let liveness: SessionLiveness;
  const firstHashes = new Map<string, string>();

  async function newSession(idleMs = 3_600_000): Promise<SessionRecord> {
    const now = clock.now();
    const s: SessionRecord = {
      id: randomUUID(),
      userId: randomUUID(),
      type: 'standard',
      clientId: 'latchkey',
      scope: '',
      createdAt: now,
      expiresAt: now + 86_400_000,
      idleExpiresAt: now + idleMs,
      lastUsedAt: now,
      ip: '127.0.0.1',
      userAgent: 'test',
      refreshGeneration: 0,
      refreshParentId: null,
      endedAt: null,
      endReason: null,
    };
    const hash = randomUUID();
    await stores.sessions.create(s, { id: randomUUID(), hash, generation: 1, createdAt: now, expiresAt: s.idleExpiresAt });
    firstHashes.set(s.id, hash);
    return s;
  }

  beforeEach(async () => {
    stores = openStores('sqlite::memory:');
    await stores.migrate();
    clock = new Clock();
    bus = new ControlledBus();
    liveness = new SessionLiveness({ sessions: stores.sessions, bus, clock });
    bus.resume(clock.now());
    await flush();
  });
  afterEach(async () => {
    liveness.close();
    await stores.close();
  });

  it('remembers a live session for a bounded time, so a lost notice is outlived by at most LIVENESS_TRUST_MS', async () => {
    const s = await newSession();
    expect((await liveness.find(s.id))?.endedAt).toBeNull();
    // Ended behind this node's back (another node whose notice was lost).
    await stores.sessions.end(s.id, 'revoked', clock.now());
    expect((await liveness.find(s.id))?.endedAt).toBeNull();
    clock.current += LIVENESS_TRUST_MS - 1;
    expect((await liveness.find(s.id))?.endedAt).toBeNull();
    clock.current += 1;
    expect(await liveness.find(s.id)).toMatchObject({ endReason: 'revoked' });
  });

  it('drops a session at once when the bus says it ended, and announces the ones this node ends', async () => {
    const [a, b] = [await newSession(), await newSession()];
    await liveness.find(a.id);
    await liveness.find(b.id);
    await stores.sessions.end(a.id, 'admin', clock.now());
    await bus.publish([a.id]);
    expect(await liveness.find(a.id)).toMatchObject({ endReason: 'admin' });

    const sessions = announcingSessionStore(stores.sessions, liveness);
    expect(await sessions.end(b.id, 'logout', clock.now())).toBe(true);
    expect(await sessions.end(b.id, 'logout', clock.now())).toBe(false);
    expect(bus.published).toEqual([[a.id], [b.id]]);
    expect(await liveness.find(b.id)).toMatchObject({ endReason: 'logout' });
    const c = await newSession();
    expect(await sessions.endAllForUser(c.userId, 'logout_all', clock.now())).toEqual([c.id]);
    expect(bus.published.at(-1)).toEqual([c.id]);
  });

  it('trusts nothing live while the bus is interrupted, and after it resumes drops what ended in the gap', async () => {
    const [a, b] = [await newSession(), await newSession()];
    await liveness.find(a.id);
    await liveness.find(b.id);
    const lastHeard = clock.now();
    bus.interrupt();
    clock.current += 1000;
    await stores.sessions.end(a.id, 'revoked', clock.now());
    // Read through while deaf: the database answers.
    expect(await liveness.find(a.id)).toMatchObject({ endReason: 'revoked' });

    await stores.sessions.end(b.id, 'blocked', clock.now());
    bus.resume(lastHeard);
    await flush();
    // b ended during the gap; the catch-up from the database dropped it.
    expect(await liveness.find(b.id)).toMatchObject({ endReason: 'blocked' });
  });

  it('catches up on sessions that ended up to CLOCK_SKEW_MS before the gap began', async () => {
    const s = await newSession();
    await liveness.find(s.id);
    // Another node, whose clock is behind, ended it; the notice was lost in the gap.
    await stores.sessions.end(s.id, 'revoked', clock.now() - CLOCK_SKEW_MS + 10);
    bus.interrupt();
    bus.resume(clock.now());
    await flush();
    expect(await liveness.find(s.id)).toMatchObject({ endReason: 'revoked' });
  });

  it('re-reads a remembered session that looks lapsed before anyone acts on it', async () => {
    const s = await newSession(1000);
    await liveness.find(s.id);
    // Another node refreshed it: its idle end moved on in the database.
    await stores.sessions.claimRefreshToken({
      sessionId: s.id,
      token: (await stores.sessions.findRefreshToken(firstHashes.get(s.id)!))!,
      successor: { id: randomUUID(), hash: randomUUID(), generation: 2, createdAt: clock.now(), expiresAt: clock.now() + 60_000 },
      now: clock.now(),
      idleExpiresAt: clock.now() + 60_000,
    });
    // Within the trust window, but past the idle end this node remembers.
    clock.current += 1000;
    expect(clock.current - s.createdAt).toBeLessThan(LIVENESS_TRUST_MS);
    expect(await liveness.find(s.id)).toMatchObject({ endedAt: null, idleExpiresAt: s.createdAt + 60_000 });
  });

  it('reads a session once for a burst of requests, but never lets a request after a drop join an older read', async () => {
    const s = await newSession();
    let reads = 0;
    let gate: (() => void) | null = null;
    const gated = new SessionLiveness({
      sessions: {
        findById: async (id) => {
          reads++;
          if (gate === null) await new Promise<void>((r) => (gate = r));
          return stores.sessions.findById(id);
        },
        listEndedSince: (since) => stores.sessions.listEndedSince(since),
      },
      bus,
      clock,
    });
    bus.resume(clock.now());
    const burst = Array.from({ length: 20 }, () => gated.find(s.id));
    await flush();
    expect(reads).toBe(1);

    await stores.sessions.end(s.id, 'logout', clock.now());
    await gated.ended([s.id]);
    const after = gated.find(s.id);
    expect(reads).toBe(2);
    gate!();
    await Promise.all(burst);
    expect(await after).toMatchObject({ endReason: 'logout' });
    gated.close();
  });
});
