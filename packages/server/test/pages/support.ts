import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { describe, it } from 'vitest';

/** Debian's Chromium; CI installs it (.ci/run). */
export const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const SCREENSHOTS = fileURLToPath(new URL('../../../../test-results/pages/', import.meta.url));
const BUILD = fileURLToPath(new URL('../../src/http/pages/build.mjs', import.meta.url));

/**
 * `describe` for suites that drive Chromium: without /usr/bin/chromium they fail in CI
 * (CI is set) and are skipped with one line elsewhere.
 */
export function describeInChromium(name: string, suite: () => void): void {
  if (existsSync(CHROMIUM)) {
    // A browser run waits on real timers (renewals, 5-second checks); leave room on a busy machine.
    describe(name, { timeout: 90_000 }, suite);
    return;
  }
  if (process.env.CI) {
    describe(name, () => {
      it('needs Chromium', () => {
        throw new Error(`${CHROMIUM} is missing; install Debian's chromium package (.ci/run does).`);
      });
    });
    return;
  }
  console.log(`skipping "${name}": ${CHROMIUM} is missing (install Debian's chromium to run it)`);
  describe.skip(name, suite);
}

/** Builds /assets/ from the current sources, so the pages under test are the ones in the tree. */
export function buildPageAssets(): void {
  execFileSync(process.execPath, [BUILD], { stdio: 'inherit' });
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** A browser with a profile on disk: closing and launching it again is a browser restart. */
export function launchPersistent(userDataDir: string): Promise<BrowserContext> {
  return chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: ARGS });
}

/** Saves what the test checked to test-results/pages/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png`, fullPage: true });
}

/** Fills the sign-in form by its labels, as a person would, and submits it. */
export async function signInThroughPage(
  page: Page,
  baseUrl: string,
  input: { email: string; password: string; remember?: boolean; returnTo?: string },
): Promise<void> {
  await page.goto(`${baseUrl}/login${input.returnTo === undefined ? '' : `?return_to=${encodeURIComponent(input.returnTo)}`}`);
  await page.getByLabel('Email').fill(input.email);
  await page.getByLabel('Password').fill(input.password);
  if (input.remember) await page.getByLabel('Keep me signed in').check();
  await page.getByRole('button', { name: 'Sign in' }).click();
}

/**
 * Runs an expression in the page. Written as a string because this test program is
 * type-checked without the DOM library; the result is whatever the page returns.
 */
export function inPage<T = any>(page: Page, expression: string): Promise<T> {
  return page.evaluate(expression) as Promise<T>;
}
