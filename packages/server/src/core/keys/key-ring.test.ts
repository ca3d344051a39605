import { afterEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../../test/support/server.js';
import type { KeyAlgorithm, UserRecord } from '../../ports.js';
import { openStores, type Stores } from '../../store/index.js';
import { AccessTokenVerifier, issueAccessToken } from '../tokens/access-token.js';
import { deriveKeyEncryptionKey } from './key-material.js';
import { KeyRing } from './key-ring.js';

const user: UserRecord = {
  id: 'u1',
  email: 'a@example.com',
  emailNormalized: 'a@example.com',
  name: 'A',
  passwordHash: 'x',
  roles: ['admin'],
  tenantId: 't1',
  status: 'active',
  createdAt: 0,
  updatedAt: 0,
};
const config = { issuer: 'https://issuer.test', audience: 'https://issuer.test', accessTtl: 900 };
const session = { id: 's1', clientId: 'latchkey', scope: 'openid', expiresAt: Date.now() + 86_400_000 };

let stores: Stores;
afterEach(() => stores?.close());

async function ring(alg: KeyAlgorithm, clock: TestClock, secret = 'k'.repeat(40)) {
  const keyRing = new KeyRing({ keys: stores.keys, clock, kek: deriveKeyEncryptionKey(secret), alg, maxTokenTtl: 900 });
  await keyRing.init();
  return keyRing;
}

describe('KeyRing', () => {
  it.each<KeyAlgorithm>(['RS256', 'ES256', 'EdDSA', 'HS256'])('signs and verifies %s access tokens with a kid', async (alg) => {
    stores = openStores('sqlite::memory:');
    await stores.migrate();
    const clock = new TestClock();
    const keyRing = await ring(alg, clock);
    const issued = await issueAccessToken({ keyRing, clock, config }, user, session);
    const header = JSON.parse(Buffer.from(issued.token.split('.')[0]!, 'base64url').toString());
    expect(header).toEqual({ alg, kid: keyRing.signingKey().kid, typ: 'at+jwt' });
    const verified = await new AccessTokenVerifier({ keyRing, clock, config }).verify(issued.token);
    expect(verified).toMatchObject({ ok: true, claims: { sub: 'u1', sid: 's1', roles: ['admin'], tenant_id: 't1' } });
    // Symmetric keys are never published.
    expect(keyRing.jwks().keys).toHaveLength(alg === 'HS256' ? 0 : 1);
  });

  it('keeps a rotated-out key published and verifying until every token it signed has expired', async () => {
    stores = openStores('sqlite::memory:');
    await stores.migrate();
    const clock = new TestClock();
    const keyRing = await ring('RS256', clock);
    const verifier = new AccessTokenVerifier({ keyRing, clock, config });
    const oldKid = keyRing.signingKey().kid;
    const old = await issueAccessToken({ keyRing, clock, config }, user, session);
    await keyRing.rotate();
    expect(keyRing.signingKey().kid).not.toBe(oldKid);
    expect(keyRing.jwks().keys.map((k) => k.kid)).toEqual([keyRing.signingKey().kid, oldKid]);
    expect((await verifier.verify(old.token)).ok).toBe(true);
    clock.advance(900_000 + 60_000 + 1);
    expect(keyRing.jwks().keys.map((k) => k.kid)).toEqual([keyRing.signingKey().kid]);
    expect(await stores.keys.deleteExpired(clock.now())).toBe(1);
  });

  it('stores private keys encrypted: another secret cannot load them', async () => {
    stores = openStores('sqlite::memory:');
    await stores.migrate();
    const clock = new TestClock();
    await ring('ES256', clock);
    const [stored] = await stores.keys.list();
    expect(stored!.privateJwkEncrypted).toMatch(/^v1\./);
    expect(stored!.privateJwkEncrypted).not.toContain('"d"');
    await expect(ring('ES256', clock, 'another secret, another secret, 1234')).rejects.toThrow();
  });

  it('switches to a key of the configured algorithm when the setting changes', async () => {
    stores = openStores('sqlite::memory:');
    await stores.migrate();
    const clock = new TestClock();
    const rs = await ring('RS256', clock);
    const es = await ring('ES256', clock);
    expect(es.signingKey().alg).toBe('ES256');
    expect(es.jwks().keys.map((k) => k.kid)).toContain(rs.signingKey().kid);
  });

  it('leaves exactly one signing key when two nodes rotate at the same moment', async () => {
    stores = openStores('sqlite::memory:');
    await stores.migrate();
    const clock = new TestClock();
    const a = await ring('ES256', clock);
    const b = await ring('ES256', clock);
    await Promise.all([a.rotate(), b.rotate()]);
    await a.reload();
    await b.reload();
    expect(a.signingKey().kid).toBe(b.signingKey().kid);
    expect((await stores.keys.list()).filter((k) => k.retiredAt === null)).toHaveLength(1);
  });
});
