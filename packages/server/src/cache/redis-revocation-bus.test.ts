import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisAvailable, startRedis, type TestRedis } from '../../test/support/redis.js';
import type { RevocationBus } from '../ports.js';
import { connectRedis, type RedisConnection } from './redis-connection.js';
import { createRedisRevocationBus } from './redis-revocation-bus.js';

async function eventually(ms: number, check: () => boolean): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe.skipIf(!redisAvailable())('Redis revocation bus', () => {
  let server: TestRedis;
  const opened: Array<{ connection: RedisConnection; bus: RevocationBus }> = [];
  beforeAll(async () => {
    server = await startRedis();
  });
  afterAll(async () => {
    for (const { connection, bus } of opened) {
      await bus.close();
      await connection.close();
    }
    await server?.stop();
  });

  /** A node's bus with a log of what its listener heard. */
  async function node() {
    const connection = await connectRedis(server.url);
    const bus = createRedisRevocationBus(connection);
    opened.push({ connection, bus });
    const heard = { ended: [] as string[][], interrupted: 0, resumed: [] as number[] };
    bus.subscribe({
      ended: (ids) => heard.ended.push(ids),
      interrupted: () => heard.interrupted++,
      resumed: (since) => heard.resumed.push(since),
    });
    await eventually(3000, () => heard.resumed.length === 1);
    return { bus, heard };
  }

  it('carries ended sessions from one node to every node, the sender included', async () => {
    const [a, b, c] = [await node(), await node(), await node()];
    await a.bus.publish(['s1', 's2']);
    await eventually(1000, () => b.heard.ended.length === 1 && c.heard.ended.length === 1 && a.heard.ended.length === 1);
    expect(b.heard.ended).toEqual([['s1', 's2']]);
    expect(c.heard.ended).toEqual([['s1', 's2']]);
  });

  it('reports a Redis restart as a gap, then resumes with the moment it last heard, and hears again', async () => {
    const a = await node();
    const b = await node();
    const before = Date.now();
    await server.halt();
    await eventually(2000, () => a.heard.interrupted === 1 && b.heard.interrupted === 1);
    await expect(a.bus.publish(['lost'])).rejects.toMatchObject({ code: 'temporarily_unavailable' });
    await server.start();
    await eventually(5000, () => a.heard.resumed.length === 2 && b.heard.resumed.length === 2);
    expect(b.heard.resumed[1]).toBeLessThanOrEqual(before);
    expect(b.heard.resumed[1]).toBeGreaterThan(before - 3000);
    await a.bus.publish(['after']);
    await eventually(1000, () => b.heard.ended.some((ids) => ids[0] === 'after'));
    expect(b.heard.ended.flat()).not.toContain('lost');
  });

  it('notices a hung Redis through its heartbeat even though the socket stays open', async () => {
    const a = await node();
    server.freeze();
    try {
      await eventually(4000, () => a.heard.interrupted === 1);
    } finally {
      server.thaw();
    }
    await eventually(5000, () => a.heard.resumed.length === 2);
  });
});
