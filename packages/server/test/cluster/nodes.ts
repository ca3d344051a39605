/**
 * Real Latchkey server processes for the cluster suite. The current sources are
 * transpiled (not type-checked) with esbuild into a temp directory laid out like the
 * package, so the suite runs what is in src/ even while dist/ is stale, and each node
 * is a separate `node` process that can be killed with SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { freeLoopbackPort } from '../support/postgres.js';

const PACKAGE = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const REPO = resolve(PACKAGE, '../..');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return relative(join(PACKAGE, 'src'), path).startsWith('http/pages/client') ? [] : sources(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

export interface ServerBuild {
  /** The script to run with `node <entry> serve`. */
  entry: string;
  remove(): void;
}

/** Transpiles src/ into `<tmp>/server/build`, with data/, dist/ and node_modules reachable as from the package. */
export async function buildServer(): Promise<ServerBuild> {
  const root = mkdtempSync(join(tmpdir(), 'latchkey-cluster-'));
  const server = join(root, 'server');
  mkdirSync(server);
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  symlinkSync(join(PACKAGE, 'data'), join(server, 'data'));
  if (existsSync(join(PACKAGE, 'dist'))) symlinkSync(join(PACKAGE, 'dist'), join(server, 'dist'));
  await build({
    entryPoints: sources(join(PACKAGE, 'src')),
    outdir: join(server, 'build'),
    outbase: join(PACKAGE, 'src'),
    format: 'esm',
    platform: 'node',
    target: 'node20',
    bundle: false,
    logLevel: 'error',
  });
  const entry = join(server, 'bin.js');
  writeFileSync(entry, "import { main } from './build/cli/main.js';\nprocess.exitCode = await main(process.argv.slice(2));\n");
  writeFileSync(join(server, 'package.json'), '{"type":"module"}\n');
  return { entry, remove: () => rmSync(root, { recursive: true, force: true }) };
}

export interface ServerNode {
  name: string;
  url: string;
  process: ChildProcess;
  /** The last lines the process printed (for failure messages). */
  output(): string;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit. */
  stop(): Promise<void>;
}

/** Starts `node <entry> serve` on a random loopback port and waits for /healthz. */
export async function startNode(entry: string, name: string, env: Record<string, string>): Promise<ServerNode> {
  const port = await freeLoopbackPort();
  const dataDir = mkdtempSync(join(tmpdir(), `latchkey-${name}-`));
  const child = spawn(process.execPath, [entry, 'serve'], {
    env: { ...process.env, HOST: '127.0.0.1', PORT: String(port), LATCHKEY_DATA_DIR: dataDir, LATCHKEY_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-6000));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`${name} did not start within 30 s:\n${output}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const end = async (sig: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  };
  return { name, url, process: child, output: () => output, kill: () => end('SIGKILL'), stop: () => end('SIGTERM') };
}
