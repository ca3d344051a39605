import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type TestRedis } from '../../test/support/redis.js';
import type { ThrottleStore } from '../ports.js';
import { createMemoryThrottleStore } from './memory-throttle.js';
import { createRedisThrottleStore } from './redis-throttle.js';

const lockFor = (failures: number) => (failures >= 5 ? 1_000_000 + failures : 0);

/** The same expectations for every ThrottleStore: exact counts under concurrency, a lock that only grows. */
function describeThrottleStore(name: string, make: () => ThrottleStore) {
  describe(name, () => {
    let n = 0;
    const key = () => `login:10.0.0.1:person-${++n}-${Math.random()}@example.com`;

    it('starts at zero, counts failures, locks from the limit on, and forgets on reset', async () => {
      const store = make();
      const k = key();
      expect(await store.get(k)).toEqual({ failures: 0, lockedUntil: 0 });
      for (let i = 1; i <= 4; i++) expect(await store.recordFailure(k, 60_000, lockFor)).toEqual({ failures: i, lockedUntil: 0 });
      expect(await store.recordFailure(k, 60_000, lockFor)).toEqual({ failures: 5, lockedUntil: 1_000_005 });
      expect(await store.get(k)).toEqual({ failures: 5, lockedUntil: 1_000_005 });
      await store.reset(k);
      expect(await store.get(k)).toEqual({ failures: 0, lockedUntil: 0 });
    });

    it('counts 40 concurrent failures exactly and keeps the lock of the highest count', async () => {
      const store = make();
      const k = key();
      const results = await Promise.all(Array.from({ length: 40 }, () => store.recordFailure(k, 60_000, lockFor)));
      expect(results.map((r) => r.failures).sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
      expect(await store.get(k)).toEqual({ failures: 40, lockedUntil: 1_000_040 });
    });

    it('keeps keys apart', async () => {
      const store = make();
      const [a, b] = [key(), key()];
      await store.recordFailure(a, 60_000, lockFor);
      expect(await store.get(b)).toEqual({ failures: 0, lockedUntil: 0 });
    });

    it('forgets failures once their memory runs out', async () => {
      const store = make();
      const k = key();
      await store.recordFailure(k, 150, lockFor);
      await new Promise((r) => setTimeout(r, 300));
      expect(await store.get(k)).toEqual({ failures: 0, lockedUntil: 0 });
    });
  });
}

describeThrottleStore('memory ThrottleStore', () => createMemoryThrottleStore({ now: () => Date.now() }));

describe.skipIf(!redisAvailable())('Redis', () => {
  let server: TestRedis;
  const clients: Redis[] = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const c of clients) c.disconnect();
    await server?.stop();
  });
  describeThrottleStore('Redis ThrottleStore', () => {
    const client = new Redis(server.url);
    clients.push(client);
    return createRedisThrottleStore(client);
  });

  it('counts failures from two nodes (two connections) as one', async () => {
    const [a, b] = [new Redis(server.url), new Redis(server.url)];
    clients.push(a, b);
    const [one, two] = [createRedisThrottleStore(a), createRedisThrottleStore(b)];
    const k = 'login:10.0.0.9:shared@example.com';
    await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).recordFailure(k, 60_000, lockFor)));
    expect(await one.get(k)).toEqual({ failures: 10, lockedUntil: 1_000_010 });
  });
});
