#!/usr/bin/env node
// `npm run bench`: builds the server (tsc -b, as `npm start` does), bundles the bench's
// TypeScript with esbuild (packages stay external, so every process loads the same
// node_modules as the server), then runs bench/main.ts. Flags: see bench/main.ts.
// BENCH_SKIP_BUILD=1 skips tsc (the smoke test's global setup has just built).
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// One directory per run, so that runs in parallel (the smoke test) never share files.
const outdir = join(root, 'node_modules', '.cache', 'latchkey-bench', String(process.pid));

if (process.env.BENCH_SKIP_BUILD !== '1') {
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-b', join(root, 'packages/server')], { stdio: 'pipe' });
  } catch (error) {
    // tsc still emits on type errors; the bench then runs what was emitted.
    console.warn(`tsc -b packages/server reported errors:\n${String(error.stdout ?? '').slice(0, 2000)}`);
  }
}
await build({
  absWorkingDir: root,
  entryPoints: ['bench/main.ts', 'bench/servers/oidc-provider.ts', 'bench/servers/better-auth.ts', 'bench/servers/bare-http.ts'],
  outdir,
  outbase: 'bench',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  logLevel: 'warning',
});
process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
process.env.LATCHKEY_BENCH_ROOT = root;
process.env.LATCHKEY_BENCH_BUILD = outdir;
await import(pathToFileURL(join(outdir, 'main.js')).href);
