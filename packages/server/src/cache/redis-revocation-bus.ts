import type { Redis } from 'ioredis';
import type { RevocationBus, RevocationListener } from '../ports.js';
import { guarded, type RedisConnection } from './redis-connection.js';

const CHANNEL = 'latchkey:revocations';
/** A hung Redis keeps its sockets open: ping the subscriber this often to notice. */
const HEARTBEAT_MS = 1000;

interface Notice {
  sessions: string[];
}

function parse(message: string): Notice | null {
  try {
    const notice = JSON.parse(message) as Partial<Notice>;
    return Array.isArray(notice.sessions) && notice.sessions.every((s) => typeof s === 'string') ? { sessions: notice.sessions } : null;
  } catch {
    return null;
  }
}

/**
 * The revocation bus over Redis pub/sub. The subscriber has its own connection; after
 * any disconnect (or a heartbeat that goes unanswered) listeners hear `interrupted`,
 * and once it has subscribed again `resumed` with the last moment it was known to hear,
 * so they can catch up from the database. Pub/sub keeps nothing, so nothing is replayed.
 */
export function createRedisRevocationBus(connection: RedisConnection, options: { onError?: (error: unknown) => void } = {}): RevocationBus {
  const listeners: RevocationListener[] = [];
  const subscriber: Redis = connection.duplicate({ autoResubscribe: false, lazyConnect: false });
  let hearing = false;
  let heardAt = Date.now();
  let closed = false;

  const interrupt = () => {
    if (!hearing) return;
    hearing = false;
    for (const listener of listeners) listener.interrupted();
  };
  const resume = () => {
    hearing = true;
    const since = heardAt;
    heardAt = Date.now();
    for (const listener of listeners) listener.resumed(since);
  };

  subscriber.on('ready', () => {
    subscriber.subscribe(CHANNEL).then(resume, (error: unknown) => {
      options.onError?.(error);
      subscriber.disconnect(true);
    });
  });
  subscriber.on('close', interrupt);
  subscriber.on('message', (channel: string, message: string) => {
    if (channel !== CHANNEL) return;
    const notice = parse(message);
    if (notice) for (const listener of listeners) listener.ended(notice.sessions);
  });

  const heartbeat = setInterval(() => {
    if (!hearing) return;
    subscriber.ping().then(
      () => {
        if (hearing) heardAt = Date.now();
      },
      () => {
        // No answer within the command timeout: treat as lost and reconnect.
        interrupt();
        if (!closed) subscriber.disconnect(true);
      },
    );
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    async publish(sessionIds) {
      if (sessionIds.length === 0) return;
      await guarded(() => connection.commands.publish(CHANNEL, JSON.stringify({ sessions: sessionIds } satisfies Notice)));
    },
    subscribe(listener) {
      listeners.push(listener);
      // A listener added after the bus started hearing has missed nothing since then.
      if (hearing) listener.resumed(heardAt);
    },
    async close() {
      closed = true;
      clearInterval(heartbeat);
      hearing = false;
      subscriber.disconnect();
    },
  };
}
