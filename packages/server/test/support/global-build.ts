import { execFileSync } from 'node:child_process';

/** vitest globalSetup: compile once so suites that spawn `bin/latchkey.js` run the current code. */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-b', 'packages/server'], { stdio: 'inherit' });
}
