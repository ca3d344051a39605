import type { Redis } from 'ioredis';
import type { RedisConnection } from './redis-connection.js';

const CHANNEL = 'latchkey:revocation-feed';

/** Structurally the RevocationFeedSignal port: wakes open revocation streams on every node. */
export interface FeedSignal {
  notify(): void;
  subscribe(listener: () => void): () => void;
  close(): Promise<void>;
}

/**
 * The revocation feed's wake-up signal over Redis pub/sub: `notify` on any node wakes the
 * streams of every node, which then read the feed from their cursor in the database. A
 * wake lost while Redis is away is made good by waking every stream when the subscriber
 * is back (a spurious wake only costs a read).
 */
export function createRedisFeedSignal(connection: RedisConnection, options: { onError?: (error: unknown) => void } = {}): FeedSignal {
  const listeners = new Set<() => void>();
  const wake = () => {
    for (const listener of listeners) {
      try {
        listener();
      } catch {
        // One broken stream must not keep the others asleep.
      }
    }
  };
  const subscriber: Redis = connection.duplicate({ autoResubscribe: false, lazyConnect: false });
  let subscribedOnce = false;
  subscriber.on('ready', () => {
    subscriber.subscribe(CHANNEL).then(
      () => {
        if (subscribedOnce) wake();
        subscribedOnce = true;
      },
      (error: unknown) => {
        options.onError?.(error);
        subscriber.disconnect(true);
      },
    );
  });
  subscriber.on('message', (channel: string) => {
    if (channel === CHANNEL) wake();
  });
  return {
    notify() {
      connection.commands.publish(CHANNEL, '1').catch((error: unknown) => {
        // The events are in the database; streams also re-read when Redis is back.
        options.onError?.(error);
        wake();
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      subscriber.disconnect();
    },
  };
}
