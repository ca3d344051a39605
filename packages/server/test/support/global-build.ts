import { execFileSync } from 'node:child_process';

/**
 * vitest globalSetup: compile once so suites that spawn `bin/latchkey.js` run the current
 * code. Type errors are reported by the type-check step of `npm test`, not here: tsc still
 * emits, and in-process suites do not need the build.
 */
export default function setup(): void {
  try {
    execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'packages/server'], { stdio: 'pipe' });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    console.warn(`tsc -b packages/server reported errors; spawned servers may run stale code:\n${output.slice(0, 2000)}`);
  }
}
