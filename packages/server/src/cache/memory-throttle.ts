import type { Clock, ThrottleState, ThrottleStore } from '../ports.js';

interface Entry extends ThrottleState {
  expiresAt: number;
}

/** Login back-off counters for a single node. Expired entries are swept as they are met. */
export function createMemoryThrottleStore(clock: Clock, maxEntries = 100_000): ThrottleStore {
  const entries = new Map<string, Entry>();
  const live = (key: string): Entry | undefined => {
    const entry = entries.get(key);
    if (entry && entry.expiresAt <= clock.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry;
  };
  return {
    async get(key) {
      const entry = live(key);
      return { failures: entry?.failures ?? 0, lockedUntil: entry?.lockedUntil ?? 0 };
    },
    async recordFailure(key, ttlMs, lockFor) {
      const failures = (live(key)?.failures ?? 0) + 1;
      const entry = { failures, lockedUntil: lockFor(failures), expiresAt: clock.now() + ttlMs };
      entries.delete(key);
      if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
      entries.set(key, entry);
      return { failures, lockedUntil: entry.lockedUntil };
    },
    async reset(key) {
      entries.delete(key);
    },
  };
}
