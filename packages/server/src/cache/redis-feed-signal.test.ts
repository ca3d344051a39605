import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type TestRedis } from '../../test/support/redis.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';
import { createRedisFeedSignal, type FeedSignal } from './redis-feed-signal.js';

async function eventually(ms: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!redisAvailable())('Redis revocation feed signal', () => {
  let server: TestRedis;
  const opened: Array<{ connection: RedisConnection; signal: FeedSignal }> = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const { connection, signal } of opened) {
      await signal.close();
      await connection.close();
    }
    await server?.stop();
  });
  async function node() {
    const connection = await connectRedis(server.url);
    const signal = createRedisFeedSignal(connection);
    opened.push({ connection, signal });
    let wakes = 0;
    const unsubscribe = signal.subscribe(() => wakes++);
    await new Promise((r) => setTimeout(r, 200));
    return { signal, wakes: () => wakes, unsubscribe };
  }

  it('wakes the streams of every node when one node appends events, until they unsubscribe', async () => {
    const [a, b] = [await node(), await node()];
    a.signal.notify();
    await eventually(1000, () => a.wakes() === 1 && b.wakes() === 1);
    b.unsubscribe();
    a.signal.notify();
    await eventually(1000, () => a.wakes() === 2);
    expect(b.wakes()).toBe(1);
  });

  it('wakes every stream once Redis is back, since a wake may have been lost meanwhile', async () => {
    const a = await node();
    await server.halt();
    await server.start();
    await eventually(5000, () => a.wakes() >= 1);
  });
});
