import type { RevocationRule } from '../errors.js';

/** One event of the revocation feed (API.md "Revocation feed"), times in epoch milliseconds. */
export interface RevocationEvent {
  cursor: string;
  type: RevocationRule;
  id: string;
  at: number;
  until: number;
}

/**
 * What the revocation feed has said, kept in memory so that checking a token costs three
 * map lookups and no network call. Entries are forgotten after their `until` (plus the
 * clock tolerance), when every token they could match has expired anyway.
 */
export class Denylist {
  private sessions = new Map<string, number>();
  private jtis = new Map<string, number>();
  /** sub -> the latest `at` (ms) before which its tokens are rejected, and until when. */
  private users = new Map<string, { at: number; until: number }>();

  get size(): number {
    return this.sessions.size + this.jtis.size + this.users.size;
  }

  /** Applies an event; applying one twice (overlapping catch-up pages) changes nothing. */
  apply(event: RevocationEvent): void {
    switch (event.type) {
      case 'session':
        this.sessions.set(event.id, Math.max(event.until, this.sessions.get(event.id) ?? 0));
        break;
      case 'jti':
        this.jtis.set(event.id, Math.max(event.until, this.jtis.get(event.id) ?? 0));
        break;
      case 'user': {
        const previous = this.users.get(event.id);
        this.users.set(event.id, { at: Math.max(event.at, previous?.at ?? 0), until: Math.max(event.until, previous?.until ?? 0) });
        break;
      }
    }
  }

  /**
   * The rule a token matches, if any. `user`: `iat` has one-second resolution, so a token
   * is rejected when it was issued in a second wholly before `at`; a token of an ended
   * session issued within that same second is caught by its `session` event, which the
   * server publishes for every session it ends.
   */
  match(sid: string | null, sub: string, iat: number, jti: string): RevocationRule | null {
    if (sid !== null && this.sessions.has(sid)) return 'session';
    if (this.jtis.has(jti)) return 'jti';
    const user = this.users.get(sub);
    if (user !== undefined && iat < Math.floor(user.at / 1000)) return 'user';
    return null;
  }

  /** Drops rules whose tokens have all expired by `now` (epoch ms). */
  forget(now: number): void {
    for (const [id, until] of this.sessions) if (until < now) this.sessions.delete(id);
    for (const [id, until] of this.jtis) if (until < now) this.jtis.delete(id);
    for (const [id, rule] of this.users) if (rule.until < now) this.users.delete(id);
  }
}
