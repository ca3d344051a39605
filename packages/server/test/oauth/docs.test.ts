/**
 * The snippets of docs/oauth.md, run as written against a real server: the only changes
 * are the URLs, ports and the "allow http" option the snippets point out. A snippet that
 * stops working fails here.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPageAssets, describeInChromium, launchChromium } from '../pages/support.js';
import { freePort, startTestServer, type TestServer } from '../support/server.js';
import { createClient, PASSWORD, registerPerson } from './support.js';

const ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const DOC = readFileSync(join(ROOT, 'docs/oauth.md'), 'utf8');

/** The code blocks of one language under a `## heading` of docs/oauth.md, in order. */
function snippets(heading: string, lang: string): string[] {
  const start = DOC.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`docs/oauth.md has no section "${heading}"`);
  const end = DOC.indexOf('\n## ', start + 1);
  const section = DOC.slice(start, end === -1 ? undefined : end);
  return [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);
}

/** Replaces each `from` (which must be there, so a changed doc fails loudly). */
function adapt(code: string, replacements: Array<[string, string]>): string {
  for (const [from, to] of replacements) {
    if (!code.includes(from)) throw new Error(`snippet no longer contains ${JSON.stringify(from)}`);
    code = code.split(from).join(to);
  }
  return code;
}

let server: TestServer;
let work: string;
const children: ChildProcess[] = [];

/** Runs a snippet as an ES module under the repository, so its imports resolve like an app's. */
function runModule(name: string, code: string, env: Record<string, string>): { child: ChildProcess; output: () => string } {
  const file = join(work, `${name}.mjs`);
  writeFileSync(file, code);
  const child = spawn(process.execPath, [file], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function waitFor(check: () => boolean, what: () => string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

beforeAll(async () => {
  mkdirSync(join(ROOT, 'node_modules/.cache'), { recursive: true });
  work = mkdtempSync(join(ROOT, 'node_modules/.cache/latchkey-docs-'));
  server = await startTestServer();
  await registerPerson(server, 'docs@example.com', 'Dot Docs');
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('docs/oauth.md: a machine client', () => {
  it('gets a token with the curl command', async () => {
    const { secret } = await createClient(server, { id: 'reports-worker', grantTypes: ['client_credentials'], scopes: ['reports:read'] });
    const [curl] = snippets('A machine client (client credentials)', 'sh');
    const command = adapt(curl!.replace(/^#.*$/gm, ''), [['https://auth.example.com', server.url]]);
    // Asynchronously: the server answering curl runs in this process.
    const { stdout: out } = await promisify(execFile)('bash', ['-c', command], { env: { ...process.env, CLIENT_SECRET: secret! } });
    expect(JSON.parse(out)).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, scope: 'reports:read' });
  });

  it('calls an API that verifies the token with @latchkey/node and follows the revocation feed', async () => {
    const { secret: apiSecret } = await createClient(server, {
      id: 'reports-api',
      grantTypes: ['client_credentials'],
      scopes: ['revocations:read'],
    });
    const { secret: freshSecret } = await createClient(server, {
      id: 'reports-worker-2',
      grantTypes: ['client_credentials'],
      scopes: ['reports:read'],
    });
    const [client, api] = snippets('A machine client (client credentials)', 'js');
    const port = await freePort();
    const insecure: [string, string] = ['const options = undefined;', 'const options = { execute: [oidc.allowInsecureRequests] };'];

    const apiProcess = runModule(
      'reports-api',
      adapt(api!, [
        ["'https://auth.example.com'", `'${server.url}'`],
        ['const options = undefined; // or { execute: [oidc.allowInsecureRequests] } against http://localhost', insecure[1]],
        ['app.listen(4000);', `app.listen(${port}, '127.0.0.1', () => console.log('ready'));`],
      ]),
      { REPORTS_API_SECRET: apiSecret! },
    );
    await waitFor(() => apiProcess.output().includes('ready'), apiProcess.output);

    const clientProcess = runModule(
      'reports-worker',
      adapt(client!, [
        ["new URL('https://auth.example.com')", `new URL('${server.url}')`],
        ["'reports-worker'", "'reports-worker-2'"],
        insecure,
        ['https://reports.example.com/jobs', `http://127.0.0.1:${port}/jobs`],
      ]),
      { CLIENT_SECRET: freshSecret! },
    );
    expect(await exitOf(clientProcess.child)).toBe(0);
    expect(clientProcess.output().trim()).toBe("200 { jobs: [], caller: 'reports-worker-2' }");
  });
});

describeInChromium('docs/oauth.md in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    buildPageAssets();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('the server-rendered app signs a person in', async () => {
    const { secret } = await createClient(server, { id: 'webapp', redirectUris: ['http://127.0.0.1/callback'], firstParty: true });
    const [code] = snippets('A server-rendered app (openid-client)', 'js');
    const port = await freePort();
    const app = runModule(
      'webapp',
      adapt(code!, [
        ["new URL('https://auth.example.com')", `new URL('${server.url}')`],
        ["const APP = 'https://app.example.com';", `const APP = 'http://127.0.0.1:${port}';`],
        ['const options = undefined;', 'const options = { execute: [oidc.allowInsecureRequests] };'],
        ['app.listen(3000);', `app.listen(${port}, '127.0.0.1', () => console.log('ready'));`],
      ]),
      { WEBAPP_CLIENT_SECRET: secret! },
    );
    await waitFor(() => app.output().includes('ready'), app.output);

    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${port}/login`);
    await page.getByLabel('Email').fill('docs@example.com');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Hello Dot Docs' }).waitFor();
    // The callback cannot be replayed in another browser: the flow cookie is missing there.
    const other = await browser.newContext();
    const replay = await other.newPage();
    const response = await replay.goto(page.url());
    expect(response!.status()).toBe(400);
    await other.close();
    await context.close();
  });

  it('the single-page app signs in, refreshes and signs out', async () => {
    await createClient(server, { id: 'spa', public: true, redirectUris: ['http://127.0.0.1/'], firstParty: true });
    const [code] = snippets('A single-page app (oauth4webapi)', 'js');
    const port = await freePort();
    const origin = `http://127.0.0.1:${port}`;
    const module = adapt(code!, [
      ["new URL('https://auth.example.com')", `new URL('${server.url}')`],
      ["'https://spa.example.com/'", `'${origin}/'`],
      ['const options = {};', 'const options = { [oauth.allowInsecureRequests]: true };'],
    ]);
    // The page around the module: a button to sign in, and what happened once back.
    const glue = `
const out = document.getElementById('out');
window.addEventListener('unhandledrejection', (e) => (out.textContent = 'error: ' + (e.reason?.message ?? e.reason)));
const result = await handleRedirect();
if (result) {
  const refreshed = await refresh(result.tokens.refresh_token);
  await signOut(refreshed.refresh_token);
  let afterSignOut = 'refresh still works';
  try { await refresh(refreshed.refresh_token); } catch (e) { afterSignOut = e.error; }
  out.textContent = [result.claims.name, refreshed.refresh_token !== result.tokens.refresh_token, afterSignOut].join('|');
} else {
  document.getElementById('go').addEventListener('click', () => void signIn());
}`;
    const bundle = await build({
      stdin: { contents: module + glue, resolveDir: ROOT, sourcefile: 'spa.js' },
      bundle: true,
      format: 'esm',
      target: 'es2022',
      write: false,
    });
    const js = bundle.outputFiles[0]!.text;
    const html =
      '<!doctype html><title>SPA</title><button id="go">Sign in</button><p id="out"></p><script type="module" src="/app.js"></script>';
    const spa: Server = createServer((req, res) => {
      if (req.url === '/app.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(js);
      else res.writeHead(200, { 'content-type': 'text/html' }).end(html);
    });
    await new Promise<void>((resolve) => spa.listen(port, '127.0.0.1', resolve));
    try {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(`${origin}/`);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.pathname === '/login');
      await page.getByLabel('Email').fill('docs@example.com');
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => url.origin === origin);
      await page.waitForFunction(`(document.getElementById('out')?.textContent ?? '') !== ''`);
      expect(await page.locator('#out').textContent()).toBe('Dot Docs|true|invalid_grant');
      expect(page.url()).toBe(`${origin}/`);
      await context.close();
    } finally {
      await new Promise((resolve) => spa.close(resolve));
    }
  });
});
