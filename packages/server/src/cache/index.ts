import type { Clock, Health, Logger, RevocationBus, ThrottleStore } from '../ports.js';
import { createMemoryRevocationBus } from './memory-revocation-bus.js';
import { createMemoryThrottleStore } from './memory-throttle.js';
import { connectRedis } from './redis-connection.js';
import { createRedisFeedSignal, type FeedSignal } from './redis-feed-signal.js';
import { createRedisRevocationBus } from './redis-revocation-bus.js';
import { createRedisThrottleStore } from './redis-throttle.js';

/** What a node shares with the others through Redis, or keeps to itself without it. */
export interface Cache {
  kind: 'memory' | 'redis';
  throttle: ThrottleStore;
  bus: RevocationBus;
  /**
   * Wakes the revocation feed's streams on every node (the RevocationFeedSignal port);
   * null without Redis, where the in-process signal serves the one node.
   */
  feedSignal: FeedSignal | null;
  /** Readiness checks to add to /readyz (`redis` when configured). */
  health: Record<string, Health>;
  close(): Promise<void>;
}

/** `LATCHKEY_REDIS_URL` set: Redis for every node; unset: memory, for one node. */
export async function openCache(redisUrl: string | null, clock: Clock, logger: Logger): Promise<Cache> {
  if (!redisUrl) {
    const bus = createMemoryRevocationBus(clock.now);
    return { kind: 'memory', throttle: createMemoryThrottleStore(clock), bus, feedSignal: null, health: {}, close: () => bus.close() };
  }
  const redis = await connectRedis(redisUrl, {
    onError: (error) => logger.warn({ err: error }, 'redis connection failed; retrying'),
  });
  const bus = createRedisRevocationBus(redis, { onError: (error) => logger.warn({ err: error }, 'revocation bus error') });
  const feedSignal = createRedisFeedSignal(redis, { onError: (error) => logger.warn({ err: error }, 'revocation feed signal error') });
  return {
    kind: 'redis',
    throttle: createRedisThrottleStore(redis.commands),
    bus,
    feedSignal,
    health: { redis: redis.health },
    async close() {
      await bus.close();
      await feedSignal.close();
      await redis.close();
    },
  };
}
