import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createServer } from 'node:net';

/**
 * A real PostgreSQL for tests: `initdb` into a temp directory, `postgres` on 127.0.0.1
 * with a random port (no Unix socket), trust authentication, deleted on `stop()`.
 * Debian keeps the binaries in /usr/lib/postgresql/<version>/bin; PATH is tried first.
 */
export interface TestPostgres {
  port: number;
  /** `postgres://postgres@127.0.0.1:<port>/<database>` */
  url(database?: string): string;
  /** Creates an empty database and returns its URL. */
  createDatabase(name?: string): Promise<string>;
  /** Stops the server (SIGKILL when `kill`), keeping its data; `start()` brings it back on the same port. */
  halt(options?: { kill?: boolean }): Promise<void>;
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: the server keeps its sockets but answers nothing (a hung host). */
  freeze(): void;
  thaw(): void;
  /** Stops the server and deletes its directory. */
  stop(): Promise<void>;
  /** The postmaster and its backends (one per connection), for measuring CPU. */
  pids(): number[];
}

/** A port free on 127.0.0.1 right now (the kernel picks it). */
export function freeLoopbackPort(): Promise<number> {
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

/** Process ids whose parent is `pid` (Linux /proc). */
function childrenOf(pid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the parenthesised command name: state, ppid, ...
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) children.push(Number(entry));
    } catch {
      /* the process went away */
    }
  }
  return children;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    /* already gone */
  }
}

function findBinDir(): string | null {
  const onPath = (process.env.PATH ?? '')
    .split(':')
    .find((dir) => dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'postgres')));
  if (onPath) return onPath;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a));
  return versions.length ? join(root, versions[0]!, 'bin') : null;
}

/**
 * Whether PostgreSQL can run here. Missing binaries fail loudly in CI (`CI` set) and
 * skip with one line elsewhere; use as `describe.skipIf(!postgresAvailable())`.
 */
export function postgresAvailable(): boolean {
  if (findBinDir()) return true;
  const why = 'PostgreSQL (initdb/postgres) not found on PATH or under /usr/lib/postgresql/*/bin; install Debian package "postgresql"';
  if (process.env.CI) throw new Error(`${why} (CI is set, so this suite must run)`);
  console.warn(`skipping PostgreSQL suite: ${why}`);
  return false;
}

/** initdb refuses to run as root: run the server as the `postgres` (or `nobody`) user then. */
function serverUser(): { uid: number; gid: number } | null {
  if (process.getuid?.() !== 0) return null;
  for (const name of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8' }).trim());
      if (Number.isInteger(uid) && uid > 0) return { uid, gid };
    } catch {
      /* try the next one */
    }
  }
  throw new Error('running as root and neither a "postgres" nor a "nobody" user exists to run PostgreSQL');
}

async function waitForServer(port: number, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${log()}`);
    const client = new pg.Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 1000 });
    try {
      await client.connect();
      await client.query('select 1');
      await client.end();
      return;
    } catch {
      await client.end().catch(() => {});
      if (Date.now() > deadline) throw new Error(`postgres did not accept connections within 30 s:\n${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * Starts a throwaway PostgreSQL. `durable: false` (the default) turns fsync off: tests
 * need speed, not crash safety of the test database.
 */
export async function startPostgres(options: { durable?: boolean; maxConnections?: number } = {}): Promise<TestPostgres> {
  const bin = findBinDir();
  if (!bin) throw new Error('PostgreSQL binaries not found');
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-pg-'));
  const data = join(dir, 'data');
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const as = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'], {
    ...as,
    stdio: 'pipe',
    env: { ...process.env, LC_ALL: 'C' },
  });
  const port = await freeLoopbackPort();
  let child: ChildProcess | null = null;
  let output = '';
  const settings = [
    ['listen_addresses', '127.0.0.1'],
    ['port', String(port)],
    ['unix_socket_directories', ''],
    ['max_connections', String(options.maxConnections ?? 200)],
    ['fsync', options.durable ? 'on' : 'off'],
    ['synchronous_commit', options.durable ? 'on' : 'off'],
    ['full_page_writes', options.durable ? 'on' : 'off'],
    ['shared_buffers', '64MB'],
  ];

  const start = async () => {
    output = '';
    const proc = spawn(join(bin, 'postgres'), ['-D', data, ...settings.flatMap(([k, v]) => ['-c', `${k}=${v}`])], {
      ...as,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    proc.stderr!.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8000)));
    child = proc;
    await waitForServer(port, proc, () => output);
  };
  const halt = async ({ kill = false } = {}) => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    for (const pid of [proc.pid!, ...childrenOf(proc.pid!)]) signal(pid, 'SIGCONT');
    // SIGINT is PostgreSQL's "fast" shutdown: abort transactions, close connections.
    proc.kill(kill ? 'SIGKILL' : 'SIGINT');
    await exited;
    child = null;
  };

  await start();
  const url = (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`;
  let counter = 0;
  let frozen: number[] = [];
  return {
    port,
    url,
    async createDatabase(name = `test_${process.pid}_${++counter}`) {
      const client = new pg.Client({ connectionString: url() });
      await client.connect();
      try {
        await client.query(`create database "${name.replace(/"/g, '')}"`);
      } finally {
        await client.end();
      }
      return url(name);
    },
    halt,
    start,
    freeze() {
      if (!child?.pid) return;
      // The postmaster and every backend it forked: each pooled connection has its own.
      frozen = [child.pid, ...childrenOf(child.pid)];
      for (const pid of frozen) signal(pid, 'SIGSTOP');
    },
    thaw() {
      for (const pid of frozen) signal(pid, 'SIGCONT');
      frozen = [];
    },
    async stop() {
      await halt();
      rmSync(dir, { recursive: true, force: true });
    },
    pids: () => (child?.pid ? [child.pid, ...childrenOf(child.pid)] : []),
  };
}
