import { createHmac, sign as cryptoSign, type KeyObject } from 'node:crypto';
import type { KeyAlgorithm } from '../../ports.js';

// One strict compact-JWS parser and one signature check for the server and for every
// resource server: they live in @latchkey/node, so the two can never disagree about
// what a well-formed token is.
export { decodePayload, MAX_TOKEN_LENGTH, parseCompactJws, verifySignature } from '@latchkey/node/jws';
export type { JwsHeader, ParsedJws } from '@latchkey/node/jws';

const base64url = (json: unknown) => Buffer.from(JSON.stringify(json), 'utf8').toString('base64url');

/**
 * Compact JWS serialization (RFC 7515 §7.1) signed with `node:crypto` on the KeyObject
 * the key ring imported. Signing used jose until the refresh benchmark showed it to be
 * the bottleneck (docs/benchmarks.md): its WebCrypto path costs about three times the
 * CPU of `node:crypto` per signature. An RSA private-key operation (~250 µs) runs on
 * libuv's pool so it does not hold the event loop; ECDSA, Ed25519 and HMAC run inline,
 * because handing them to the pool cost the event loop more than signing (measured:
 * ES256 refreshes/s fell by a quarter when signed on the pool).
 */
export async function signJws(
  header: { alg: KeyAlgorithm; kid: string; typ: string },
  payload: Record<string, unknown>,
  key: KeyObject,
): Promise<string> {
  const signingInput = `${base64url(header)}.${base64url(payload)}`;
  const signature = await signBytes(header.alg, key, Buffer.from(signingInput, 'ascii'));
  return `${signingInput}.${signature.toString('base64url')}`;
}

function signBytes(alg: KeyAlgorithm, key: KeyObject, data: Buffer): Buffer | Promise<Buffer> {
  switch (alg) {
    case 'RS256':
      return new Promise((resolve, reject) =>
        cryptoSign('sha256', data, key, (error, signature) => (error ? reject(error) : resolve(signature))),
      );
    case 'ES256':
      // RFC 7518 §3.4: the signature is R || S, 32 bytes each, not DER.
      return cryptoSign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    case 'EdDSA':
      return cryptoSign(null, data, key);
    case 'HS256':
      return createHmac('sha256', key).update(data).digest();
  }
}
