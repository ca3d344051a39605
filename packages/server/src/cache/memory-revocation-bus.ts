import type { RevocationBus, RevocationListener } from '../ports.js';

/** The revocation bus of a single node: notices go straight to this process's listeners. */
export function createMemoryRevocationBus(now: () => number = Date.now): RevocationBus {
  const listeners: RevocationListener[] = [];
  return {
    async publish(sessionIds) {
      for (const listener of listeners) listener.ended(sessionIds);
    },
    subscribe(listener) {
      listeners.push(listener);
      // Nothing can be missed in one process: it hears everything from the start.
      listener.resumed(now());
    },
    async close() {
      listeners.length = 0;
    },
  };
}
