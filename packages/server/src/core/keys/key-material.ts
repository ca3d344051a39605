import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  hkdfSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import type { KeyAlgorithm } from '../../ports.js';

/** Derives the key that encrypts private signing keys at rest from the master secret. */
export function deriveKeyEncryptionKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'latchkey', 'signing-keys/v1', 32));
}

/** AES-256-GCM; the output is `v1.<iv>.<ciphertext>.<tag>` in base64url. */
export function encryptJwk(jwk: JsonWebKey, kek: Buffer): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(jwk), 'utf8'), cipher.final()]);
  return ['v1', iv, body, cipher.getAuthTag()].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
}

export function decryptJwk(sealed: string, kek: Buffer): JsonWebKey {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || !body || !tag) throw new Error('unknown key encryption format');
  const decipher = createDecipheriv('aes-256-gcm', kek, Buffer.from(iv, 'base64url'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  const plain = Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]);
  return JSON.parse(plain.toString('utf8')) as JsonWebKey;
}

export interface GeneratedKey {
  kid: string;
  privateJwk: JsonWebKey;
  /** Null for HS256: a symmetric key is never published. */
  publicJwk: JsonWebKey | null;
}

/** RFC 7638 thumbprint of the public key, used as `kid`. */
function thumbprint(jwk: JsonWebKey): string {
  const members: Record<string, string[]> = { RSA: ['e', 'kty', 'n'], EC: ['crv', 'kty', 'x', 'y'], OKP: ['crv', 'kty', 'x'] };
  const names = members[jwk.kty as string] ?? [];
  const canonical = JSON.stringify(Object.fromEntries(names.map((n) => [n, jwk[n]])));
  return createHash('sha256').update(canonical).digest('base64url');
}

export function generateKey(alg: KeyAlgorithm): GeneratedKey {
  if (alg === 'HS256') {
    const k = randomBytes(32).toString('base64url');
    return { kid: randomBytes(16).toString('base64url'), privateJwk: { kty: 'oct', k }, publicJwk: null };
  }
  const pair =
    alg === 'RS256'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : alg === 'ES256'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  const publicJwk = pair.publicKey.export({ format: 'jwk' });
  const kid = thumbprint(publicJwk);
  return {
    kid,
    privateJwk: pair.privateKey.export({ format: 'jwk' }),
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
  };
}

/** The KeyObject that signs (private or secret) and the one that verifies. */
export function importKeyPair(alg: KeyAlgorithm, privateJwk: JsonWebKey): { signKey: KeyObject; verifyKey: KeyObject } {
  if (alg === 'HS256') {
    const secret = createSecretKey(Buffer.from(String(privateJwk.k), 'base64url'));
    return { signKey: secret, verifyKey: secret };
  }
  const signKey = createPrivateKey({ key: privateJwk, format: 'jwk' });
  return { signKey, verifyKey: createPublicKey(signKey) };
}
