// The peer for the password-login benchmark: better-auth's email sign-in over
// better-sqlite3 (a file in WAL mode with synchronous=NORMAL, as Latchkey opens its own).
// BENCH_HASH=scrypt keeps better-auth's default password hash (node:crypto scrypt);
// BENCH_HASH=argon2id swaps in argon2id at Latchkey's parameters for a same-work row.
// better-auth lives in bench/peers (its optional peers conflict with the workspace).
import { createRequire } from 'node:module';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import SQLite from 'better-sqlite3';
import { ARGON2_PARAMS } from '../../packages/server/src/adapters/argon2-hasher.js';

async function main(): Promise<void> {
  const root = process.env.LATCHKEY_BENCH_ROOT ?? process.cwd();
  const port = Number(process.env.PORT);
  const peers = createRequire(join(root, 'bench', 'peers', 'package.json'));
  const load = async (specifier: string) => import(pathToFileURL(peers.resolve(specifier)).href);
  const { betterAuth } = await load('better-auth');
  const { toNodeHandler } = await load('better-auth/node');
  const { getMigrations } = await load('better-auth/db/migration');

  const database = new SQLite(join(process.env.BENCH_DATA_DIR!, 'better-auth.db'));
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');

  const argon2 = {
    hash: (password: string) => argon2Hash(password, ARGON2_PARAMS),
    verify: ({ hash, password }: { hash: string; password: string }) => argon2Verify(hash, password),
  };
  const auth = betterAuth({
    baseURL: `http://127.0.0.1:${port}`,
    secret: 'bench-better-auth-secret-0123456789abcdef',
    database,
    emailAndPassword: { enabled: true, ...(process.env.BENCH_HASH === 'argon2id' ? { password: argon2 } : {}) },
    rateLimit: { enabled: false },
    telemetry: { enabled: false },
    logger: { disabled: true },
  });
  const { runMigrations } = await getMigrations(auth.options);
  await runMigrations();

  const handler = toNodeHandler(auth);
  const server = createServer((req, res) => {
    if (req.url === '/__bench/ready') {
      res.writeHead(200, { 'content-length': 2 }).end('ok');
      return;
    }
    void handler(req, res);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(port, '127.0.0.1');
}

await main();
