import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLatchkey, type Latchkey, type LatchkeyOptions } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { buildHttpServer, type HttpServer } from '../../src/http/server.js';

/** A clock tests can move: `advance(30 * 86_400_000)` jumps a month without sleeping. */
export class TestClock {
  constructor(private current = Date.now()) {}
  now = (): number => this.current;
  advance(ms: number): void {
    this.current += ms;
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

export interface TestServer {
  url: string;
  app: HttpServer;
  latchkey: Latchkey;
  clock: TestClock;
  close(): Promise<void>;
}

/**
 * A real Latchkey on loopback with a random port, a fresh SQLite database in a temp
 * directory (or `LATCHKEY_DATABASE_URL` from `env`), and a movable clock.
 */
export async function startTestServer(
  env: Record<string, string> = {},
  options: { clock?: TestClock; logger?: LatchkeyOptions['logger'] } = {},
): Promise<TestServer> {
  // A probed port can be taken by another test file's process before we bind it: try another.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(await freePort(), env, options);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt === 5) throw error;
    }
  }
}

async function startOn(
  port: number,
  env: Record<string, string>,
  options: { clock?: TestClock; logger?: LatchkeyOptions['logger'] },
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-test-'));
  const url = `http://127.0.0.1:${port}`;
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      PORT: String(port),
      LATCHKEY_ISSUER: url,
      LATCHKEY_SECRET: 'test-secret-test-secret-test-secret-0123456789',
      LATCHKEY_DATA_DIR: dir,
      LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'latchkey.db')}`,
      ...env,
    },
    dir,
  );
  const clock = options.clock ?? new TestClock();
  const latchkey = await createLatchkey(config, { clock, timers: false, logger: options.logger });
  const app = await buildHttpServer(latchkey);
  const close = async () => {
    await app.close();
    await latchkey.close();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await app.listen({ port, host: '127.0.0.1' });
  } catch (error) {
    await close();
    throw error;
  }
  return { url, app, latchkey, clock, close };
}
