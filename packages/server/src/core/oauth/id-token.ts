import { createHash } from 'node:crypto';
import type { KeyAlgorithm, UserRecord } from '../../ports.js';
import type { CoreDeps } from '../deps.js';
import { signJws } from '../tokens/jws.js';
import { hasScope } from './scope.js';

/**
 * OIDC Core §3.1.3.6: the left half of the hash of the access token, with the hash of
 * the signing algorithm (SHA-512 for Ed25519, as OpenID Connect libraries expect).
 */
export function leftHalfHash(alg: KeyAlgorithm, value: string): string {
  const digest = createHash(alg === 'EdDSA' ? 'sha512' : 'sha256')
    .update(value, 'ascii')
    .digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

export interface IdTokenInput {
  user: UserRecord;
  clientId: string;
  /** The session the tokens belong to (OIDC `sid`). */
  sessionId: string;
  scope: string;
  /** When the person signed in, epoch ms. */
  authTime: number;
  nonce: string | null;
  accessToken: string;
}

/**
 * The ID Token (OIDC Core §2, §3.1.3.3), signed with the key ring's signing key. It
 * lives no longer than an access token, so a retired key is published long enough.
 */
export async function issueIdToken(deps: Pick<CoreDeps, 'keyRing' | 'clock' | 'config'>, input: IdTokenInput): Promise<string> {
  const { kid, alg, key } = deps.keyRing.signingKey();
  const iat = Math.floor(deps.clock.now() / 1000);
  const claims: Record<string, unknown> = {
    iss: deps.config.issuer,
    sub: input.user.id,
    aud: input.clientId,
    exp: iat + deps.config.accessTtl,
    iat,
    auth_time: Math.floor(input.authTime / 1000),
    ...(input.nonce !== null ? { nonce: input.nonce } : {}),
    at_hash: leftHalfHash(alg, input.accessToken),
    sid: input.sessionId,
    ...profileClaims(input.user, input.scope),
  };
  return signJws({ alg, kid, typ: 'JWT' }, claims, key);
}

/** The standard claims (OIDC Core §5.1, §5.4) the granted scopes release. */
export function profileClaims(user: UserRecord, scope: string): Record<string, unknown> {
  return {
    ...(hasScope(scope, 'profile') ? { name: user.name, updated_at: Math.floor(user.updatedAt / 1000) } : {}),
    // Latchkey does not verify addresses (yet), and says so rather than guess.
    ...(hasScope(scope, 'email') ? { email: user.email, email_verified: false } : {}),
  };
}
