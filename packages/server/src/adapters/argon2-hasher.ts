import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../ports.js';

/** OWASP's argon2id baseline: 19 MiB, two passes, one lane. */
// `algorithm: 2` is Algorithm.Argon2id (an ambient const enum that isolated modules cannot read).
export const ARGON2_PARAMS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/**
 * Hashes run on libuv's pool, off the event loop; at most one per core at once so a
 * login flood queues here instead of starving refreshes and token checks.
 */
export function createArgon2Hasher(concurrency = Math.max(1, availableParallelism())): PasswordHasher {
  let running = 0;
  const waiting: Array<() => void> = [];
  async function bounded<T>(work: () => Promise<T>): Promise<T> {
    // A finishing hash hands its slot straight to the next waiter.
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    else running++;
    try {
      return await work();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else running--;
    }
  }
  return {
    hash: (password) => bounded(() => hash(password, ARGON2_PARAMS)),
    verify: (encoded, password) => bounded(() => verify(encoded, password).catch(() => false)),
  };
}
