import { availableParallelism } from 'node:os';
import { hash, verify } from '@node-rs/argon2';
import type { PasswordHasher } from '../ports.js';

/** OWASP's argon2id baseline: 19 MiB, two passes, one lane. */
// `algorithm: 2` is Algorithm.Argon2id (an ambient const enum that isolated modules cannot read).
export const ARGON2_PARAMS = { algorithm: 2, memoryCost: 19456, timeCost: 2, parallelism: 1 } as const;

/** libuv's thread-pool size: UV_THREADPOOL_SIZE when set (libuv clamps it to 1-1024), else 4. */
export function threadPoolSize(env: NodeJS.ProcessEnv = process.env): number {
  const given = Number.parseInt(env.UV_THREADPOOL_SIZE ?? '', 10);
  return Number.isFinite(given) && given > 0 ? Math.min(given, 1024) : 4;
}

/**
 * Pool threads a login flood never takes: RS256 signatures of every login and refresh
 * (src/core/tokens/jws.ts) and asynchronous file writes run on the same pool as the
 * hashes, and would otherwise wait behind hashes of ~7 ms each.
 */
export const POOL_THREADS_KEPT_FREE = 2;

/**
 * One hash per core (a hash with one lane keeps one core busy), but never so many that
 * they fill libuv's pool. With the default pool of 4 threads that is 2 hashes at once,
 * also on machines with more cores: set UV_THREADPOOL_SIZE (cores + 2) in the server's
 * environment to hash on all of them. It must be set before Node starts; assigning it
 * from JavaScript is too late, as loading the ES modules already starts the pool.
 */
export function hashConcurrency(cores: number, poolSize: number): number {
  return Math.max(1, Math.min(cores, poolSize - POOL_THREADS_KEPT_FREE));
}

/**
 * Hashes run on libuv's pool, off the event loop; at most `concurrency` at once so a
 * login flood queues here instead of starving refreshes and token checks.
 */
export function createArgon2Hasher(concurrency = hashConcurrency(availableParallelism(), threadPoolSize())): PasswordHasher {
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
