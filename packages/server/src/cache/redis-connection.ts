import { Redis, type RedisOptions } from 'ioredis';
import { TemporarilyUnavailable } from '../core/errors.js';
import type { Health } from '../ports.js';

/**
 * API.md: a request that needs an unreachable Redis answers 503 within 2 s. Commands
 * are never queued while disconnected (they fail at once) and time out after 1 s when
 * Redis hangs; the client reconnects by itself, backing off to one try a second.
 */
const COMMAND_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  commandTimeout: 1000,
  connectTimeout: 1000,
  maxRetriesPerRequest: 1,
  retryStrategy: (attempt) => Math.min(attempt * 100, 1000),
  lazyConnect: true,
};

export interface RedisConnection {
  /** For commands (counters, PUBLISH). */
  commands: Redis;
  /** Opens another connection with the same settings (a subscriber needs its own). */
  duplicate(options?: RedisOptions): Redis;
  health: Health;
  close(): Promise<void>;
}

/** Whether an ioredis error means "Redis is unreachable or hung", rather than a bug. */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  return (
    error.name === 'MaxRetriesPerRequestError' ||
    (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND'].includes(code)) ||
    /Stream isn't writeable|Command timed out|Connection is closed|LOADING|MASTERDOWN|BUSY /.test(error.message)
  );
}

/** Runs a Redis call, turning "unreachable" into TemporarilyUnavailable (503) at this edge. */
export async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (isRedisUnavailable(error)) throw new TemporarilyUnavailable(`redis unavailable: ${(error as Error).message}`);
    throw error;
  }
}

/**
 * Connects to `redis://` / `rediss://`. Waits up to `waitMs` for the first connection;
 * a node still starts without Redis (/readyz says so) and connects when it can.
 */
export async function connectRedis(
  url: string,
  options: { waitMs?: number; onError?: (error: Error) => void } = {},
): Promise<RedisConnection> {
  const commands = new Redis(url, COMMAND_OPTIONS);
  // ioredis reports every failed reconnect as an 'error' event; without a listener it is
  // printed. The state is visible through /readyz; log at most once per outage.
  let reported = false;
  commands.on('error', (error: Error) => {
    if (!reported) options.onError?.(error);
    reported = true;
  });
  commands.on('ready', () => (reported = false));
  const connected = commands.connect().catch(() => {});
  await Promise.race([connected, new Promise((r) => setTimeout(r, options.waitMs ?? 2000).unref())]);
  const duplicates: Redis[] = [];
  return {
    commands,
    duplicate(extra = {}) {
      const other = new Redis(url, { ...COMMAND_OPTIONS, ...extra });
      other.on('error', () => {});
      duplicates.push(other);
      return other;
    },
    health: {
      check: () =>
        guarded(async () => {
          if ((await commands.ping()) !== 'PONG') throw new Error('unexpected PING answer');
        }),
    },
    async close() {
      for (const c of [commands, ...duplicates]) c.disconnect();
    },
  };
}
