import type { KeyObject } from 'node:crypto';
import { CompactSign } from 'jose';
import type { KeyAlgorithm } from '../../ports.js';

// One strict compact-JWS parser and one signature check for the server and for every
// resource server: they live in @latchkey/node, so the two can never disagree about
// what a well-formed token is.
export { decodePayload, MAX_TOKEN_LENGTH, parseCompactJws, verifySignature } from '@latchkey/node/jws';
export type { JwsHeader, ParsedJws } from '@latchkey/node/jws';

const encoder = new TextEncoder();

export async function signJws(
  header: { alg: KeyAlgorithm; kid: string; typ: string },
  payload: Record<string, unknown>,
  key: KeyObject,
): Promise<string> {
  return new CompactSign(encoder.encode(JSON.stringify(payload))).setProtectedHeader(header).sign(key);
}
