import { randomUUID } from 'node:crypto';
import type { Clock, SessionRecord, UserRecord } from '../../ports.js';
import type { CoreConfig } from '../config.js';
import type { KeyRing } from '../keys/key-ring.js';
import { decodePayload, parseCompactJws, signJws, verifySignature } from './jws.js';
import { hasDuplicateMembers } from './strict-json.js';

const base64urlText = (part: string): string => Buffer.from(part, 'base64url').toString('utf8');

/** RFC 9068 §2.1 */
export const ACCESS_TOKEN_TYP = 'at+jwt';
/** Tolerance for clocks of other nodes, in seconds. */
const CLOCK_SKEW = 5;

export interface AccessClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  sid: string;
  client_id: string;
  scope: string;
  roles: string[];
  tenant_id?: string;
  name: string;
  email?: string;
}

/**
 * A client-credentials token (RFC 6749 §4.4) has no person and no session: `sub` is the
 * client id (RFC 9068 §2.2) and there is no `sid`, `roles` or `name`.
 */
export interface ClientAccessClaims {
  iss: string;
  sub: string;
  aud: string | string[];
  exp: number;
  iat: number;
  nbf: number;
  jti: string;
  client_id: string;
  scope: string;
}

/** User tokens carry the session they belong to; client tokens never do. */
export function isUserClaims(claims: AccessClaims | ClientAccessClaims): claims is AccessClaims {
  return typeof (claims as AccessClaims).sid === 'string';
}

export interface IssuedAccessToken {
  token: string;
  claims: AccessClaims;
  expiresAt: number;
}

export interface AccessTokenDeps {
  keyRing: KeyRing;
  clock: Clock;
  config: Pick<CoreConfig, 'issuer' | 'audience' | 'accessTtl'>;
}

/** Signs an access token for the session; it never outlives the session's absolute end. */
export async function issueAccessToken(
  deps: AccessTokenDeps,
  user: UserRecord,
  session: Pick<SessionRecord, 'id' | 'clientId' | 'scope' | 'expiresAt'>,
  audience: string | string[] = deps.config.audience,
): Promise<IssuedAccessToken> {
  const iat = Math.floor(deps.clock.now() / 1000);
  const exp = Math.min(iat + deps.config.accessTtl, Math.floor(session.expiresAt / 1000));
  const claims: AccessClaims = {
    iss: deps.config.issuer,
    sub: user.id,
    aud: audience,
    exp,
    iat,
    nbf: iat,
    jti: randomUUID(),
    sid: session.id,
    client_id: session.clientId,
    scope: session.scope,
    roles: user.roles,
    ...(user.tenantId ? { tenant_id: user.tenantId } : {}),
    name: user.name,
  };
  const { kid, alg, key } = deps.keyRing.signingKey();
  const token = await signJws({ alg, kid, typ: ACCESS_TOKEN_TYP }, claims as unknown as Record<string, unknown>, key);
  return { token, claims, expiresAt: exp * 1000 };
}

export type AccessTokenFailure =
  | 'malformed'
  | 'unknown_key'
  | 'bad_signature'
  | 'wrong_type'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'expired'
  | 'not_yet_valid'
  | 'not_user_token';

const CACHE_LIMIT = 50_000;

/**
 * A refused token; one refused only because it expired says what it claimed (its
 * signature and every other check passed), so the caller can tell why its session ended.
 */
export type VerifyFailure<C> =
  { ok: false; failure: Exclude<AccessTokenFailure, 'expired'> } | { ok: false; failure: 'expired'; expiredClaims: C };

/**
 * Verifies access tokens on the hot path: a strict parser, `node:crypto` with the
 * algorithm pinned by the key, and a cache of verified tokens until their `exp`.
 * Whether the session behind a valid token is still alive is the caller's question.
 */
export class AccessTokenVerifier {
  private cache = new Map<string, AccessClaims | ClientAccessClaims>();

  constructor(private readonly deps: AccessTokenDeps) {}

  /** A token of a person's session; client-credentials tokens are refused here. */
  async verify(token: string): Promise<{ ok: true; claims: AccessClaims } | VerifyFailure<AccessClaims>> {
    const result = await this.verifyAny(token);
    if (result.ok ? !isUserClaims(result.claims) : result.failure === 'expired' && !isUserClaims(result.expiredClaims)) {
      return { ok: false, failure: 'not_user_token' };
    }
    return result as { ok: true; claims: AccessClaims } | VerifyFailure<AccessClaims>;
  }

  /** A user token or a client-credentials token; callers must tell them apart (`isUserClaims`). */
  async verifyAny(
    token: string,
  ): Promise<{ ok: true; claims: AccessClaims | ClientAccessClaims } | VerifyFailure<AccessClaims | ClientAccessClaims>> {
    const nowSec = this.deps.clock.now() / 1000;
    const cached = this.cache.get(token);
    if (cached) {
      if (cached.exp + CLOCK_SKEW > nowSec) return { ok: true, claims: cached };
      this.cache.delete(token);
      return { ok: false, failure: 'expired', expiredClaims: cached };
    }
    const parsed = parseCompactJws(token);
    if (!parsed || parsed.header.kid === undefined) return { ok: false, failure: 'malformed' };
    if (parsed.header.typ !== ACCESS_TOKEN_TYP && parsed.header.typ !== 'application/at+jwt') return { ok: false, failure: 'wrong_type' };
    let key = this.deps.keyRing.verificationKey(parsed.header.kid);
    if (!key && (await this.deps.keyRing.reloadForUnknownKid(parsed.header.kid)))
      key = this.deps.keyRing.verificationKey(parsed.header.kid);
    if (!key) return { ok: false, failure: 'unknown_key' };
    if (parsed.header.alg !== key.alg || !verifySignature(key.alg, key.key, parsed.signingInput, parsed.signature)) {
      return { ok: false, failure: 'bad_signature' };
    }
    const payload = decodePayload(parsed.payloadB64);
    if (!payload || typeof payload.sub !== 'string' || typeof payload.exp !== 'number') return { ok: false, failure: 'malformed' };
    // A time claim that is present must be a number: a string `nbf` must not switch the check off.
    if ((payload.nbf !== undefined && typeof payload.nbf !== 'number') || (payload.iat !== undefined && typeof payload.iat !== 'number')) {
      return { ok: false, failure: 'malformed' };
    }
    // RFC 7519 §4: duplicate names would let two parsers read this token two ways.
    if (
      hasDuplicateMembers(base64urlText(parsed.signingInput.slice(0, parsed.signingInput.indexOf('.')))) ||
      hasDuplicateMembers(base64urlText(parsed.payloadB64))
    ) {
      return { ok: false, failure: 'malformed' };
    }
    // Either a session token (string `sid`) or a client token (no `sid`, `sub` = `client_id`).
    const userToken = typeof payload.sid === 'string';
    const clientToken = payload.sid === undefined && typeof payload.client_id === 'string' && payload.client_id === payload.sub;
    if (!userToken && !clientToken) return { ok: false, failure: 'malformed' };
    const claims = payload as unknown as AccessClaims | ClientAccessClaims;
    if (claims.iss !== this.deps.config.issuer) return { ok: false, failure: 'wrong_issuer' };
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.includes(this.deps.config.audience)) return { ok: false, failure: 'wrong_audience' };
    if (claims.exp + CLOCK_SKEW <= nowSec) return { ok: false, failure: 'expired', expiredClaims: claims };
    if (typeof claims.nbf === 'number' && claims.nbf - CLOCK_SKEW > nowSec) return { ok: false, failure: 'not_yet_valid' };
    if (this.cache.size >= CACHE_LIMIT) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(token, claims);
    return { ok: true, claims };
  }
}
