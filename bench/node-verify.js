#!/usr/bin/env node
// `npm run bench:node`: requests per second of one protected route in an Express and a
// Fastify app, using @latchkey/node (revocation checking on), plain jose jwtVerify,
// express-jwt and @fastify/jwt, against the same route unprotected; once with one token
// reused across requests and once with a fresh token per request. One run, reported as
// ratios. Each app runs in its own process; autocannon and a real Latchkey (issuing the
// tokens, serving the JWKS and the revocation feed) run in this one, on loopback.
//
//   node bench/node-verify.js [--smoke] [--duration <s>] [--connections <n>] [--json <file>]
//
// Needs the built packages (`tsc -b packages/node packages/server`, which the npm script runs).
import { fork } from 'node:child_process';
import { randomUUID, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const FRAMEWORKS = { express: ['none', 'latchkey', 'jose', 'express-jwt'], fastify: ['none', 'latchkey', 'jose', '@fastify/jwt'] };
/** More distinct tokens than @latchkey/node caches (10000 by default), cycled: every request misses its cache. */
const FRESH_POOL = 12_000;

const { values: args } = parseArgs({
  options: {
    smoke: { type: 'boolean', default: false },
    duration: { type: 'string' },
    connections: { type: 'string', default: '50' },
    json: { type: 'string' },
    serve: { type: 'string' },
    variant: { type: 'string' },
  },
});

if (args.serve) await serve(args.serve, args.variant);
else await main();

// ---------------------------------------------------------------- the app under test (child)

async function serve(framework, variant) {
  const { issuer, feedToken } = JSON.parse(process.env.BENCH_CONFIG);
  const jwksUri = `${issuer}/.well-known/jwks.json`;
  const verifierOf = async () => {
    const { createVerifier } = await import('@latchkey/node');
    const verifier = createVerifier({ issuer, audience: issuer, revocations: { follow: true, accessToken: feedToken } });
    await verifier.ready();
    return verifier;
  };
  const joseVerify = async () => {
    const { createRemoteJWKSet, jwtVerify } = await import('jose');
    const jwks = createRemoteJWKSet(new URL(jwksUri));
    return (token) => jwtVerify(token, jwks, { issuer, audience: issuer, typ: 'at+jwt', algorithms: ['RS256'] });
  };
  /** The PEM of the signing key, for the libraries that take a key rather than a JWKS. */
  const publicPem = async () => {
    const { createPublicKey } = await import('node:crypto');
    const { keys } = await (await globalThis.fetch(jwksUri)).json();
    return createPublicKey({ key: keys[0], format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  };
  const bearer = (header) => (typeof header === 'string' && header.startsWith('Bearer ') ? header.slice(7) : '');

  let port;
  if (framework === 'express') {
    const { default: express } = await import('express');
    const app = express();
    if (variant === 'latchkey') {
      const { latchkeyExpress } = await import('@latchkey/node');
      app.use('/api', latchkeyExpress(await verifierOf()));
      app.get('/api/me', (req, res) => res.json({ sub: req.identity.sub }));
    } else if (variant === 'jose') {
      const verify = await joseVerify();
      app.use('/api', (req, res, next) =>
        verify(bearer(req.headers.authorization)).then(
          ({ payload }) => {
            req.auth = payload;
            next();
          },
          () => res.status(401).json({ error: 'unauthorized' }),
        ),
      );
      app.get('/api/me', (req, res) => res.json({ sub: req.auth.sub }));
    } else if (variant === 'express-jwt') {
      const { expressjwt } = await import('express-jwt');
      app.use('/api', expressjwt({ secret: await publicPem(), algorithms: ['RS256'], issuer, audience: issuer }));
      app.get('/api/me', (req, res) => res.json({ sub: req.auth.sub }));
    } else {
      app.get('/api/me', (_req, res) => res.json({ sub: 'anonymous' }));
    }
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    port = server.address().port;
  } else {
    const { default: Fastify } = await import('fastify');
    const app = Fastify();
    if (variant === 'latchkey') {
      const { latchkeyFastify } = await import('@latchkey/node');
      await app.register(latchkeyFastify, { verifier: await verifierOf() });
      app.get('/api/me', { onRequest: app.authenticate }, async (request) => ({ sub: request.identity.sub }));
    } else if (variant === 'jose') {
      const verify = await joseVerify();
      const authenticate = async (request, reply) => {
        try {
          request.auth = (await verify(bearer(request.headers.authorization))).payload;
        } catch {
          return reply.code(401).send({ error: 'unauthorized' });
        }
      };
      app.get('/api/me', { onRequest: authenticate }, async (request) => ({ sub: request.auth.sub }));
    } else if (variant === '@fastify/jwt') {
      const { default: fastifyJwt } = await import('@fastify/jwt');
      await app.register(fastifyJwt, {
        secret: { public: await publicPem() },
        verify: { algorithms: ['RS256'], allowedIss: issuer, allowedAud: issuer },
      });
      const authenticate = async (request, reply) => {
        try {
          await request.jwtVerify();
        } catch {
          return reply.code(401).send({ error: 'unauthorized' });
        }
      };
      app.get('/api/me', { onRequest: authenticate }, async (request) => ({ sub: request.user.sub }));
    } else {
      app.get('/api/me', async () => ({ sub: 'anonymous' }));
    }
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = app.server.address().port;
  }
  process.send({ port });
}

// ---------------------------------------------------------------- the driver (parent)

async function main() {
  const { default: autocannon } = await import('autocannon');
  const duration = Number(args.duration ?? (args.smoke ? 1 : 5));
  // Each row's time is split into rounds run in turn across the apps, so a burst of other
  // load on the machine lands on every row alike; a row reports its median round.
  const rounds = args.smoke ? 1 : 5;
  const warmup = args.smoke ? 0.5 : 1;
  const connections = Number(args.connections);
  const latchkey = await startLatchkey();
  const apps = [];
  const results = [];
  try {
    const reused = latchkey.token;
    const t0 = Date.now();
    const fresh = latchkey.mint(FRESH_POOL);
    console.log(`latchkey at ${latchkey.url}; minted ${fresh.length} RS256 tokens in ${Date.now() - t0} ms`);
    console.log(`${duration} s per row in ${rounds} round(s), ${connections} connections, ${warmup} s warm-up per app and mode\n`);
    for (const [framework, variants] of Object.entries(FRAMEWORKS)) {
      for (const variant of variants) apps.push({ framework, variant, ...(await startApp(framework, variant, latchkey)) });
    }
    for (const mode of ['reused', 'fresh']) {
      const tokens = mode === 'reused' ? reused : fresh;
      const samples = new Map(apps.map((app) => [app, []]));
      // CPU of the app's process over the measured rounds: steadier than req/s on a shared
      // machine, as it does not depend on the share of the cores the app was given.
      const cpu = new Map(apps.map((app) => [app, { seconds: 0, requests: 0 }]));
      for (const app of apps) await load(autocannon, app.url, warmup, connections, tokens);
      for (let round = 0; round < rounds; round++) {
        for (const app of apps) {
          const before = cpuSecondsOf(app.pid);
          const result = await load(autocannon, app.url, duration / rounds, connections, tokens);
          const used = cpu.get(app);
          used.seconds += cpuSecondsOf(app.pid) - before;
          used.requests += result.requests.total;
          samples.get(app).push(result);
        }
      }
      for (const app of apps) {
        const runs = samples.get(app).sort((x, y) => x.requests.average - y.requests.average);
        const median = runs[Math.floor(runs.length / 2)];
        const failed = runs.reduce((n, r) => n + r.non2xx + r.errors, 0);
        const row = {
          framework: app.framework,
          variant: app.variant,
          mode,
          rps: Math.round(median.requests.average),
          p99ms: median.latency.p99,
          cpuUsPerRequest: Math.round((cpu.get(app).seconds / cpu.get(app).requests) * 1e6 * 10) / 10,
          failed,
        };
        results.push(row);
        console.log(
          `${row.framework.padEnd(8)} ${row.variant.padEnd(13)} ${mode.padEnd(7)} ${String(row.rps).padStart(7)} req/s  p99 ${row.p99ms} ms  cpu ${row.cpuUsPerRequest} us/req${failed ? `  (${failed} failed requests!)` : ''}`,
        );
      }
    }
    for (const app of apps) app.close();
    apps.length = 0;
    const report = ratios(results);
    const sequential = await verifyInSequence({ url: latchkey.url, fresh, reused, feedToken: latchkey.feedToken }, args.smoke ? 0.5 : 2);
    if (args.json) {
      writeFileSync(
        args.json,
        JSON.stringify({ duration, rounds, connections, rows: results, ratios: report, sequential }, null, 2) + '\n',
      );
    }
  } finally {
    for (const app of apps) app.close();
    await latchkey.close();
  }
}

/**
 * Verifications per second one after another on one thread (no HTTP), as the issue's
 * "jose ~10k/s, node:crypto ~47k/s" figures are: fresh tokens and a reused one.
 */
async function verifyInSequence({ url, fresh, reused, feedToken }, seconds) {
  const { createVerifier } = await import('@latchkey/node');
  const { createRemoteJWKSet, jwtVerify } = await import('jose');
  const verifier = createVerifier({ issuer: url, audience: url, revocations: { follow: true, accessToken: feedToken } });
  await verifier.ready();
  const jwks = createRemoteJWKSet(new URL(`${url}/.well-known/jwks.json`));
  const jose = (token) => jwtVerify(token, jwks, { issuer: url, audience: url, typ: 'at+jwt', algorithms: ['RS256'] });
  const rate = async (verify, tokens) => {
    for (let i = 0; i < 200; i++) await verify(tokens[i % tokens.length]);
    let n = 0;
    const end = Date.now() + seconds * 1000;
    while (Date.now() < end) for (let i = 0; i < 100; i++) await verify(tokens[n++ % tokens.length]);
    return Math.round(n / seconds);
  };
  console.log('\nverifications per second in sequence (one thread, no HTTP):');
  const result = {};
  for (const [name, verify, tokens] of [
    ['latchkeyFresh', (t) => verifier.verify(t), fresh],
    ['joseFresh', jose, fresh],
    ['latchkeyReused', (t) => verifier.verify(t), [reused]],
    ['joseReused', jose, [reused]],
  ]) {
    result[name] = await rate(verify, tokens);
    console.log(`  ${name.padEnd(15)} ${String(result[name]).padStart(9)}/s`);
  }
  await verifier.close();
  console.log(`  fresh tokens: @latchkey/node ${(result.latchkeyFresh / result.joseFresh).toFixed(2)}x jose`);
  return result;
}

/** One autocannon run; `tokens` is one token (reused) or a pool cycled one per request (fresh). */
function load(autocannon, url, seconds, connections, tokens) {
  const options = { url: `${url}/api/me`, connections, duration: seconds };
  if (typeof tokens === 'string') {
    options.headers = { authorization: `Bearer ${tokens}` };
  } else {
    let next = 0;
    options.requests = [
      {
        method: 'GET',
        setupRequest: (request) => ({
          ...request,
          headers: { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
        }),
      },
    ];
  }
  return new Promise((resolve, reject) => autocannon(options, (error, result) => (error ? reject(error) : resolve(result))));
}

function startApp(framework, variant, latchkey) {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', framework, '--variant', variant], {
    env: { ...process.env, NODE_ENV: 'production', BENCH_CONFIG: JSON.stringify({ issuer: latchkey.url, feedToken: latchkey.feedToken }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${framework}/${variant} exited with ${code}`)));
    child.once('message', ({ port }) => resolve({ url: `http://127.0.0.1:${port}`, pid: child.pid, close: () => child.kill() }));
  });
}

/** A real Latchkey from the built server, with a user (the tokens) and an admin (the feed). */
async function startLatchkey() {
  const dist = (path) => import(pathToFileURL(join(root, 'packages/server/dist', path)).href);
  const [{ createLatchkey }, { loadConfig }, { buildHttpServer }] = await Promise.all([
    dist('app.js'),
    dist('config.js'),
    dist('http/server.js'),
  ]);
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-bench-'));
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      PORT: '0',
      LATCHKEY_SECRET: 'bench-secret-bench-secret-bench-secret-0123',
      LATCHKEY_DATA_DIR: dir,
      LATCHKEY_DATABASE_URL: `sqlite:${join(dir, 'latchkey.db')}`,
      LATCHKEY_BOOTSTRAP_ADMIN: 'bench-admin@example.com:bench admin passphrase',
      LATCHKEY_LOG_LEVEL: 'silent',
    },
    dir,
  );
  // The issuer must be the URL followers use: listen first on a free port, then configure.
  const probe = await import('node:net').then(
    ({ createServer }) =>
      new Promise((resolve) => {
        const s = createServer().listen(0, '127.0.0.1', () => {
          const { port } = s.address();
          s.close(() => resolve(port));
        });
      }),
  );
  const url = `http://127.0.0.1:${probe}`;
  Object.assign(config, { port: probe, issuer: url, audience: url });
  const latchkey = await createLatchkey(config, { timers: false });
  const app = await buildHttpServer(latchkey);
  await app.listen({ port: probe, host: '127.0.0.1' });
  const post = async (path, body) =>
    (
      await globalThis.fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
    ).json();
  await post('/auth/register', { email: 'bench@example.com', password: 'bench user passphrase', name: 'Bench' });
  const user = await post('/auth/login', { email: 'bench@example.com', password: 'bench user passphrase', transport: 'bearer' });
  const admin = await post('/auth/login', { email: 'bench-admin@example.com', password: 'bench admin passphrase', transport: 'bearer' });
  const [headerB64, payloadB64] = user.access_token.split('.');
  const claims = JSON.parse(Buffer.from(payloadB64, 'base64url').toString());
  const { key } = latchkey.deps.keyRing.signingKey();
  return {
    url,
    token: user.access_token,
    feedToken: admin.access_token,
    /** `count` Latchkey access tokens of the same session, each with its own jti, signed by the server's key. */
    mint(count) {
      const tokens = [];
      for (let i = 0; i < count; i++) {
        const payload = Buffer.from(JSON.stringify({ ...claims, jti: randomUUID() })).toString('base64url');
        const input = `${headerB64}.${payload}`;
        tokens.push(`${input}.${sign('sha256', Buffer.from(input), key).toString('base64url')}`);
      }
      return tokens;
    },
    async close() {
      await app.close();
      await latchkey.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** User + system CPU seconds of a process so far (/proc/<pid>/stat, in clock ticks of 10 ms). */
function cpuSecondsOf(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function ratios(rows) {
  const row = (framework, variant, mode) => rows.find((r) => r.framework === framework && r.variant === variant && r.mode === mode);
  const rps = (framework, variant, mode) => row(framework, variant, mode)?.rps ?? NaN;
  const cpu = (framework, variant, mode) => row(framework, variant, mode)?.cpuUsPerRequest ?? NaN;
  const fmt = (x) => x.toFixed(2);
  const report = {};
  console.log('\nratios (@latchkey/node, revocation checking on):');
  for (const framework of Object.keys(FRAMEWORKS)) {
    const peer = framework === 'express' ? 'express-jwt' : '@fastify/jwt';
    const r = {
      reusedVsUnprotected: rps(framework, 'latchkey', 'reused') / rps(framework, 'none', 'reused'),
      freshVsUnprotected: rps(framework, 'latchkey', 'fresh') / rps(framework, 'none', 'fresh'),
      reusedVsJose: rps(framework, 'latchkey', 'reused') / rps(framework, 'jose', 'reused'),
      freshVsJose: rps(framework, 'latchkey', 'fresh') / rps(framework, 'jose', 'fresh'),
      reusedVsPeer: rps(framework, 'latchkey', 'reused') / rps(framework, peer, 'reused'),
      freshVsPeer: rps(framework, 'latchkey', 'fresh') / rps(framework, peer, 'fresh'),
      joseReusedVsUnprotected: rps(framework, 'jose', 'reused') / rps(framework, 'none', 'reused'),
      // The same comparisons in CPU per request (unprotected / protected: 1 means free).
      reusedCpuVsUnprotected: cpu(framework, 'none', 'reused') / cpu(framework, 'latchkey', 'reused'),
      freshCpuVsJose: cpu(framework, 'jose', 'fresh') / cpu(framework, 'latchkey', 'fresh'),
    };
    report[framework] = r;
    console.log(`  ${framework}:`);
    console.log(
      `    reused token: ${fmt(r.reusedVsUnprotected)} of unprotected (target >= 0.85: ${r.reusedVsUnprotected >= 0.85 ? 'met' : 'NOT met'}); ${fmt(r.reusedVsJose)}x jose; ${fmt(r.reusedVsPeer)}x ${peer}`,
    );
    console.log(
      `    fresh token:  ${fmt(r.freshVsJose)}x jose (target >= 2: ${r.freshVsJose >= 2 ? 'met' : 'NOT met'}); ${fmt(r.freshVsPeer)}x ${peer}; ${fmt(r.freshVsUnprotected)} of unprotected`,
    );
    console.log(`    (jose with a reused token: ${fmt(r.joseReusedVsUnprotected)} of unprotected)`);
    console.log(
      `    in CPU per request of the app: reused token ${cpu(framework, 'latchkey', 'reused')} vs ${cpu(framework, 'none', 'reused')} us unprotected (${fmt(r.reusedCpuVsUnprotected)}); fresh token ${cpu(framework, 'latchkey', 'fresh')} vs ${cpu(framework, 'jose', 'fresh')} us with jose (${fmt(r.freshCpuVsJose)}x)`,
    );
  }
  return report;
}
