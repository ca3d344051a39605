import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { freePort } from '../../test/support/server.js';
import { main } from './main.js';

let dir: string;
let env: NodeJS.ProcessEnv;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
  env = {
    NODE_ENV: 'test',
    LATCHKEY_DATA_DIR: dir,
    LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'db.sqlite')}`,
    LATCHKEY_SECRET: 's'.repeat(40),
  };
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function run(args: string[], extra: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(
    args,
    (l) => out.push(l),
    (l) => err.push(l),
    { ...env, ...extra },
  );
  return { code, out, err };
}

describe('latchkey CLI', () => {
  it('stops with exit code 1 and one clear line on a bad setting', async () => {
    const result = await run(['migrate'], { LATCHKEY_ACCESS_TTL: 'abc' });
    expect(result.code).toBe(1);
    expect(result.err).toEqual([
      'latchkey: configuration error: LATCHKEY_ACCESS_TTL="abc" is not a duration; use a positive number with s, m, h or d (e.g. 15m)',
    ]);
  });

  it('refuses to start in production without LATCHKEY_SECRET', async () => {
    const result = await run(['serve'], { NODE_ENV: 'production', LATCHKEY_SECRET: '' });
    expect(result.code).toBe(1);
    expect(result.err).toEqual(['latchkey: configuration error: LATCHKEY_SECRET is required when NODE_ENV=production']);
  });

  it('applies migrations once', async () => {
    const first = await run(['migrate']);
    expect(first.code).toBe(0);
    expect(first.out[0]).toMatch(/^applied: 0001_core/);
    expect(await run(['migrate'])).toMatchObject({ code: 0, out: ['database is up to date'] });
  });

  it('creates users with roles and refuses a taken email or a weak password', async () => {
    const created = await run([
      'users',
      'create',
      '--email',
      'Ops@Example.com',
      '--password',
      'a long admin passphrase',
      '--name',
      'Ops',
      '--role',
      'admin',
      '--role',
      'auditor',
    ]);
    expect(created.code).toBe(0);
    expect(created.out[0]).toMatch(/^created user [0-9a-f-]{36} <Ops@Example.com> roles=\[admin,auditor\]$/);
    const taken = await run(['users', 'create', '--email', 'ops@example.com', '--password', 'another long passphrase']);
    expect(taken).toMatchObject({ code: 1, err: ['latchkey: email_taken: An account with this email already exists.'] });
    const weak = await run(['users', 'create', '--email', 'x@example.com', '--password', 'password1']);
    expect(weak.code).toBe(1);
    expect(weak.err[0]).toMatch(/^latchkey: weak_password:/);
  });

  it('rotates signing keys and keeps the old one published', async () => {
    const before = await run(['keys', 'list']);
    expect(before.out).toHaveLength(1);
    expect(before.out[0]).toMatch(/ RS256 .* signing$/);
    const rotated = await run(['keys', 'rotate']);
    expect(rotated.out[0]).toMatch(/^new signing key \S+ \(RS256\)$/);
    const after = await run(['keys', 'list']);
    expect(after.out).toHaveLength(2);
    expect(after.out.filter((l) => l.endsWith('signing'))).toHaveLength(1);
    expect(after.out.filter((l) => l.includes('published until'))).toHaveLength(1);
  });

  it('serves with `serve`, printing the URL and where the data lives', async () => {
    const port = await freePort();
    const child = spawn(process.execPath, ['packages/server/bin/latchkey.js', 'serve'], {
      env: { ...process.env, ...env, PORT: String(port), LATCHKEY_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('database:')) resolve();
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}`)));
      });
      expect(stdout).toContain(`Latchkey listening on http://127.0.0.1:${port}`);
      expect(stdout).toContain(`database: ${join(dir, 'db.sqlite')}`);
      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(await health.json()).toEqual({ status: 'ok' });
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    }
  });

  it('exits 1 from the real binary on a bad setting', async () => {
    const child = spawn(process.execPath, ['packages/server/bin/latchkey.js', 'serve'], {
      env: { ...process.env, ...env, LATCHKEY_SIGNING_ALG: 'none' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(stderr.trim().split('\n')).toEqual([
      'latchkey: configuration error: LATCHKEY_SIGNING_ALG="none" must be one of RS256, ES256, EdDSA, HS256',
    ]);
  });
});
