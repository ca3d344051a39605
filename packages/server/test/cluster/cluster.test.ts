/**
 * DESIGN.md "Scaling out": three server processes share one PostgreSQL, one Redis and
 * one LATCHKEY_SECRET. A session started on one node, refreshed on another and revoked
 * on a third is rejected everywhere within 1 s; rotation holds across nodes; killing a
 * node or restarting Redis under load loses and corrupts nothing.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type CallResult } from '../support/client.js';
import { postgresAvailable, startPostgres, type TestPostgres } from '../support/postgres.js';
import { redisAvailable, startRedis, type TestRedis } from '../support/redis.js';
import { buildServer, startNode, type ServerBuild, type ServerNode } from './nodes.js';

const available = postgresAvailable() && redisAvailable();
const PASSWORD = 'cluster test passphrase 7';
const ADMIN = 'root@cluster.test';

interface Grant {
  access: string;
  refresh: string;
  sessionId: string;
}

/** Polls `check` every 50 ms; resolves with the time it took, or throws after `ms`. */
async function within(ms: number, check: () => Promise<boolean>): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (await check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * "Every node rejects the revoked token within `ms`": polls `accepted` until a request is
 * refused, and fails if any request *sent* later than `ms` after the start was still
 * accepted. Judging by send time keeps a slow answer on a loaded machine from counting
 * as staleness.
 */
async function rejectedWithin(ms: number, accepted: () => Promise<boolean>): Promise<void> {
  const start = Date.now();
  for (;;) {
    const sentAt = Date.now() - start;
    if (!(await accepted())) return;
    if (sentAt > ms) throw new Error(`a request sent ${sentAt} ms after the revocation was still accepted`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!available)('a cluster of three nodes on PostgreSQL and Redis', () => {
  let postgres: TestPostgres;
  let redis: TestRedis;
  let serverBuild: ServerBuild;
  let databaseUrl: string;
  let nodes: ServerNode[] = [];
  let env: Record<string, string>;
  let db: pg.Pool;
  let n = 0;

  const node = (i: number) => nodes[i % nodes.length]!;
  const register = async (email: string) =>
    expect((await call(node(n).url, 'POST', '/auth/register', { body: { email, password: PASSWORD, name: 'Node User' } })).status).toBe(
      201,
    );
  async function login(at: ServerNode, email: string): Promise<Grant> {
    const res = await call(at.url, 'POST', '/auth/login', { body: { email, password: PASSWORD, transport: 'bearer' } });
    expect(res.status, at.output()).toBe(200);
    return { access: res.body.access_token, refresh: res.body.refresh_token, sessionId: res.body.session.id };
  }
  async function account(at: ServerNode): Promise<Grant & { email: string }> {
    const email = `member-${++n}@cluster.test`;
    await register(email);
    return { email, ...(await login(at, email)) };
  }
  const refresh = (at: ServerNode, token: string) => call(at.url, 'POST', '/auth/refresh', { body: { refresh_token: token } });
  const session = (at: ServerNode, access: string) => call(at.url, 'GET', '/auth/session', { bearer: access });
  const accepted = (at: ServerNode, access: string) => async () => {
    const res = await session(at, access);
    if (res.status !== 200 && res.status !== 401) throw new Error(`${at.name}: ${res.status} ${JSON.stringify(res.body)}`);
    return res.status === 200;
  };

  beforeAll(async () => {
    [postgres, redis, serverBuild] = await Promise.all([startPostgres(), startRedis(), buildServer()]);
    databaseUrl = await postgres.createDatabase();
    db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    env = {
      LATCHKEY_DATABASE_URL: databaseUrl,
      LATCHKEY_REDIS_URL: redis.url,
      LATCHKEY_SECRET: 'cluster-secret-cluster-secret-cluster-secret-42',
      LATCHKEY_ISSUER: 'http://latchkey.cluster.test',
      LATCHKEY_BOOTSTRAP_ADMIN: `${ADMIN}:${PASSWORD}`,
    };
    // All three start at once on an empty database: migrations, the first signing key
    // and the bootstrap admin race.
    nodes = await Promise.all(['node-1', 'node-2', 'node-3'].map((name) => startNode(serverBuild.entry, name, env)));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    await db?.end();
    await Promise.all([postgres?.stop(), redis?.stop()]);
    serverBuild?.remove();
  });

  it('starts three nodes together on an empty database with one key and one bootstrap admin, all ready', async () => {
    for (const n of nodes)
      expect((await call(n.url, 'GET', '/readyz')).body).toEqual({ status: 'ok', checks: { database: 'ok', redis: 'ok' } });
    const keys = await db.query('select kid, retired_at from signing_keys');
    expect(keys.rows).toHaveLength(1);
    expect(keys.rows[0].retired_at).toBeNull();
    const admins = await db.query('select id from users where email_normalized = $1', [ADMIN]);
    expect(admins.rows).toHaveLength(1);
    const jwks = await Promise.all(nodes.map(async (n) => (await call(n.url, 'GET', '/.well-known/jwks.json')).body));
    expect(jwks[1]).toEqual(jwks[0]);
    expect(jwks[2]).toEqual(jwks[0]);
    expect(jwks[0].keys.map((k: { kid: string }) => k.kid)).toEqual([keys.rows[0].kid]);
  });

  it('logs in on node 1, refreshes on node 2, revokes on node 3, and nodes 1 and 2 reject within 1 s', async () => {
    const [one, two, three] = nodes as [ServerNode, ServerNode, ServerNode];
    const first = await account(one);
    const refreshed = await refresh(two, first.refresh);
    expect(refreshed.status).toBe(200);
    const access = refreshed.body.access_token as string;
    // Every node has seen the session alive (and may remember it).
    for (const n of nodes) expect((await session(n, access)).status).toBe(200);
    expect((await session(one, first.access)).status).toBe(200);

    expect((await call(three.url, 'POST', '/auth/logout', { bearer: access })).status).toBe(204);
    await Promise.all([
      rejectedWithin(1000, accepted(one, access)),
      rejectedWithin(1000, accepted(two, access)),
      rejectedWithin(1000, accepted(one, first.access)),
    ]);
    const res = await session(two, access);
    expect(res.body).toMatchObject({ error: 'unauthorized', reason: 'logout' });
    expect((await refresh(one, refreshed.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant', reason: 'logout' });
  });

  it('gives all 50 concurrent refreshes of one fresh token, spread over the nodes, distinct successors; using one kills the rest', async () => {
    const grant = await account(node(0));
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => refresh(node(i), grant.refresh)));
    expect(results.filter((r) => r.status !== 200).map((r) => [r.status, r.body])).toEqual([]);
    const successors = results.map((r) => r.body.refresh_token as string);
    expect(new Set(successors).size).toBe(50);

    const next = await refresh(node(1), successors[17]!);
    expect(next.status).toBe(200);
    for (const [i, sibling] of [successors[3]!, successors[40]!].entries()) {
      const res = await refresh(node(i + 2), sibling);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
    }
    // Reuse revoked the session: its newest tokens are dead on every node.
    expect((await refresh(node(0), next.body.refresh_token)).body).toMatchObject({ error: 'invalid_grant', reason: 'reuse_detected' });
    await Promise.all(nodes.map((n) => rejectedWithin(1000, accepted(n, next.body.access_token))));
  });

  /**
   * Each worker keeps one session alive by refreshing it round-robin over the nodes,
   * always with the newest token it holds. A request that fails without an answer (the
   * node died) is retried with the same token on another node: the retry rule of API.md.
   */
  async function refreshLoad(options: { workers: number; ms: number; during?: () => Promise<void> }) {
    const grants = [];
    for (let i = 0; i < options.workers; i++) grants.push(await account(node(i)));
    const stop = Date.now() + options.ms;
    const outcomes = { ok: 0, retried: 0, unavailable: 0 };
    const failures: string[] = [];
    const live = () => nodes.filter((n) => n.process.exitCode === null && n.process.signalCode === null);
    const worker = async (grant: Grant & { email: string }, w: number) => {
      let token = grant.refresh;
      let access = grant.access;
      for (let i = w; Date.now() < stop; i++) {
        const at = live()[i % live().length]!;
        let res: CallResult;
        try {
          res = await refresh(at, token);
        } catch {
          outcomes.retried++;
          continue;
        }
        if (res.status === 503) {
          outcomes.unavailable++;
          continue;
        }
        if (res.status !== 200) {
          failures.push(`${at.name}: ${res.status} ${JSON.stringify(res.body)}`);
          return { grant, token, access };
        }
        outcomes.ok++;
        token = res.body.refresh_token;
        access = res.body.access_token;
      }
      return { grant, token, access };
    };
    const [finals] = await Promise.all([Promise.all(grants.map(worker)), options.during?.()]);
    return { finals, outcomes, failures };
  }

  it('loses and corrupts no session when a node is killed with SIGKILL under load', async () => {
    const victim = nodes[2]!;
    const { finals, outcomes, failures } = await refreshLoad({
      workers: 12,
      ms: 4000,
      during: async () => {
        await new Promise((r) => setTimeout(r, 1500));
        await victim.kill();
      },
    });
    expect(failures).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(50);
    // Every session is still alive and its newest tokens work on the surviving nodes.
    const ids = finals.map((f) => f.grant.sessionId);
    const rows = await db.query('select id, ended_at, end_reason from sessions where id = any($1)', [ids]);
    expect(rows.rows.map((r) => [r.id, r.ended_at, r.end_reason]).sort()).toEqual(ids.map((id) => [id, null, null]).sort());
    for (const [i, f] of finals.entries()) {
      const res = await refresh(node(i) === victim ? nodes[0]! : node(i), f.token);
      expect(res.status).toBe(200);
      expect((await session(nodes[1]!, res.body.access_token)).status).toBe(200);
    }
    // The killed node comes back and serves the same sessions.
    nodes[2] = await startNode(serverBuild.entry, 'node-3b', env);
    const again = await refresh(nodes[2], (await refresh(nodes[0]!, finals[0]!.token)).body.refresh_token);
    expect(again.status).toBe(200);
  });

  it('keeps revocations enforced while Redis restarts under load, and every node reconnects by itself', async () => {
    const [one, two, three] = nodes as [ServerNode, ServerNode, ServerNode];
    const during = await account(one);
    const after = await account(two);
    for (const n of nodes) {
      expect((await session(n, during.access)).status).toBe(200);
      expect((await session(n, after.access)).status).toBe(200);
    }
    const { failures, outcomes } = await refreshLoad({
      workers: 6,
      ms: 5000,
      during: async () => {
        await new Promise((r) => setTimeout(r, 500));
        await redis.halt();
        // Revoked on node 1 while Redis is down: the others must not trust what they remember.
        expect((await call(one.url, 'POST', '/auth/logout', { bearer: during.access })).status).toBe(204);
        await Promise.all([rejectedWithin(1000, accepted(two, during.access)), rejectedWithin(1000, accepted(three, during.access))]);
        await new Promise((r) => setTimeout(r, 1000));
        await redis.start();
      },
    });
    expect(failures).toEqual([]);
    expect(outcomes.ok).toBeGreaterThan(20);
    for (const n of nodes) await within(10_000, async () => (await call(n.url, 'GET', '/readyz')).status === 200);
    // The bus works again on every node: a revocation on node 2 reaches nodes 1 and 3 within 1 s.
    for (const n of nodes) expect((await session(n, after.access)).status).toBe(200);
    expect((await call(two.url, 'POST', '/auth/logout', { bearer: after.access })).status).toBe(204);
    await Promise.all([rejectedWithin(1000, accepted(one, after.access)), rejectedWithin(1000, accepted(three, after.access))]);
    // Logins, which need Redis for back-off counters, work on every node again.
    for (const n of nodes) await login(n, during.email);
  });
});
