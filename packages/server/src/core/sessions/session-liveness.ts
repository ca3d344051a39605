import type { Clock, RevocationBus, SessionRecord, SessionStore } from '../../ports.js';
import { lapsedReason } from './lifetime.js';

/**
 * A live session read from the database is trusted this long without another read,
 * while the revocation bus is heard. It bounds how stale a node can be when a notice is
 * lost without the bus noticing (API.md: every node enforces a revocation within 1 s
 * through the bus; this is the fallback bound).
 */
export const LIVENESS_TRUST_MS = 5_000;
/** Clocks of different nodes disagree by less than this (catch-up reads overlap by it). */
export const CLOCK_SKEW_MS = 5_000;
const MAX_ENTRIES = 100_000;
const CATCH_UP_RETRY_MS = 1_000;

interface Entry {
  session: SessionRecord;
  readAt: number;
}

export interface SessionLivenessDeps {
  sessions: Pick<SessionStore, 'findById' | 'listEndedSince'>;
  bus: RevocationBus;
  clock: Clock;
  onError?: (error: unknown, what: string) => void;
}

/**
 * Answers "is the session behind this access token still alive?" on every
 * authenticated request without a database read each time, and stays correct across
 * nodes (DESIGN.md "Scaling out"):
 * - an ended session is final, so it is remembered as ended;
 * - a live one is trusted for LIVENESS_TRUST_MS after it was read, and only while the
 *   revocation bus is heard; a notice that a session ended drops it at once;
 * - when the bus loses its connection, nothing live is trusted until it is back and
 *   the sessions that ended meanwhile (from the database) have been dropped;
 * - a session that looks lapsed is read again before anyone acts on it.
 * The rotation path never uses this: it reads the store, whose conditional updates
 * settle races.
 */
export class SessionLiveness {
  private readonly entries = new Map<string, Entry>();
  /** Reads in flight, so a burst of requests for one session costs one read. */
  private readonly reading = new Map<string, Promise<SessionRecord | null>>();
  /** Whether the bus is heard and every notice missed in a gap has been caught up. */
  private hearing = false;
  private gapSince: number | null = null;
  /** Bumped whenever an entry is dropped, so a read racing a drop is not remembered. */
  private drops = 0;
  private retry: ReturnType<typeof setTimeout> | null = null;
  private closed = false;

  constructor(private readonly deps: SessionLivenessDeps) {
    deps.bus.subscribe({
      ended: (ids) => this.forget(ids),
      interrupted: () => {
        this.hearing = false;
      },
      resumed: (since) => {
        this.gapSince = Math.min(this.gapSince ?? since, since);
        void this.catchUp();
      },
    });
  }

  /** The session record for `id`: from memory when that is safe, else from the store. */
  async find(id: string): Promise<SessionRecord | null> {
    const entry = this.entries.get(id);
    if (entry && this.trusted(entry)) return entry.session;
    const inFlight = this.reading.get(id);
    if (inFlight) return inFlight;
    const read = this.read(id).finally(() => {
      if (this.reading.get(id) === read) this.reading.delete(id);
    });
    this.reading.set(id, read);
    return read;
  }

  private async read(id: string): Promise<SessionRecord | null> {
    const drops = this.drops;
    const readAt = this.deps.clock.now();
    const session = await this.deps.sessions.findById(id);
    if (session && drops === this.drops) this.remember(id, { session, readAt });
    return session;
  }

  /** Sessions this node ended: drop them here at once and tell every other node. */
  async ended(ids: string[]): Promise<void> {
    if (ids.length === 0) return;
    this.forget(ids);
    try {
      await this.deps.bus.publish(ids);
    } catch (error) {
      // The database already holds the end; other nodes still re-read within
      // LIVENESS_TRUST_MS, or catch up when their own bus connection comes back.
      this.deps.onError?.(error, 'revocation publish failed');
    }
  }

  /** A session row changed on this node (a refresh moved its idle expiry): read it again next time. */
  changed(id: string): void {
    this.forget([id]);
  }

  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
  }

  private trusted(entry: Entry): boolean {
    if (entry.session.endedAt !== null) return true;
    const now = this.deps.clock.now();
    return this.hearing && now - entry.readAt < LIVENESS_TRUST_MS && lapsedReason(entry.session, now) === null;
  }

  private remember(id: string, entry: Entry): void {
    this.entries.delete(id);
    if (this.entries.size >= MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(id, entry);
  }

  private forget(ids: string[]): void {
    this.drops++;
    for (const id of ids) {
      this.entries.delete(id);
      // A read that began before the drop must not answer requests that come after it.
      this.reading.delete(id);
    }
  }

  /** After a gap on the bus: drop every session that ended since the gap began, then trust again. */
  private async catchUp(): Promise<void> {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
    const since = this.gapSince;
    if (since === null || this.closed) return;
    try {
      const ended = await this.deps.sessions.listEndedSince(since - CLOCK_SKEW_MS);
      this.forget(ended.map((s) => s.id));
      if (this.gapSince === since) {
        this.gapSince = null;
        this.hearing = true;
      }
    } catch (error) {
      this.deps.onError?.(error, 'revocation catch-up failed; retrying');
      if (!this.closed) this.retry = setTimeout(() => void this.catchUp(), CATCH_UP_RETRY_MS);
    }
  }
}

/**
 * The session store every core operation uses: ending sessions announces them to every
 * node, and a refresh makes this node read the session again. Whatever ends a session
 * (logout, revocation, reuse, blocking, password change) goes through here.
 */
export function announcingSessionStore(store: SessionStore, liveness: SessionLiveness): SessionStore {
  return {
    ...store,
    async end(id, reason, now) {
      const ended = await store.end(id, reason, now);
      if (ended) await liveness.ended([id]);
      return ended;
    },
    async endAllForUser(userId, reason, now, exceptId) {
      const ids = await store.endAllForUser(userId, reason, now, exceptId);
      await liveness.ended(ids);
      return ids;
    },
    async claimRefreshToken(input) {
      const won = await store.claimRefreshToken(input);
      if (won) liveness.changed(input.sessionId);
      return won;
    },
    async reissueRefreshToken(input) {
      const won = await store.reissueRefreshToken(input);
      if (won) liveness.changed(input.sessionId);
      return won;
    },
  };
}
