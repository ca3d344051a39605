import type { RevocationFeedSignal } from '../ports.js';

/**
 * The feed signal of a single node: `notify` wakes this process's streams. Across nodes a
 * pub/sub adapter (Redis) implements the same port so every node's streams wake.
 */
export function createMemoryRevocationFeedSignal(): RevocationFeedSignal {
  const listeners = new Set<() => void>();
  return {
    notify() {
      for (const listener of listeners) {
        try {
          listener();
        } catch {
          // One broken stream must not keep the others asleep.
        }
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
  };
}
