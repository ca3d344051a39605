import { InvalidTokenError, TokenExpiredError, TokenNotYetValidError, TokenRevokedError, VerifierUnavailableError } from './errors.js';
import type { Identity } from './identity.js';
import { decodePayload, parseCompactJws, verifySignatureOffLoop } from './jws.js';
import { Denylist } from './lib/denylist.js';
import type { FetchLike } from './lib/fetch.js';
import { KeySet, PUBLIC_ALGORITHMS, type PublicAlgorithm, type VerificationKey } from './lib/key-set.js';
import { RevocationFollower } from './lib/revocation-follower.js';
import { TokenCache } from './lib/token-cache.js';
import { VERIFY_NOW } from './lib/verify-now.js';

/**
 * How the verifier follows the issuer's revocation feed (API.md "Revocation feed").
 *
 * @example
 * ```ts
 * const revocations: RevocationOptions = { follow: true, accessToken: () => getFeedToken(), failClosedAfterMs: 30_000 };
 * ```
 */
export interface RevocationOptions {
  /** Follow the feed and reject revoked tokens (default true when this object is given). */
  follow: boolean;
  /**
   * A bearer token allowed to read the feed (scope `revocations:read`, or an admin's),
   * or a function returning a current one; it is called before each (re)connection.
   */
  accessToken?: string | (() => string | Promise<string>);
  /**
   * Reject every token (`503`, `revocation_feed_stale`) once the feed has been silent
   * this long, instead of accepting tokens that may have been revoked meanwhile.
   * Unset: fail open (keep verifying signatures and the last known denylist).
   */
  failClosedAfterMs?: number;
  /** The feed endpoint (default `${issuer}/revocations`). */
  url?: string;
  /** `sse` (default) holds an event stream open; `poll` pages every `pollIntervalMs`. */
  transport?: 'sse' | 'poll';
  /** Poll period when polling (default 1000 ms). */
  pollIntervalMs?: number;
  /** An event stream silent this long is reconnected (default 15000 ms; the server beats every 5 s). */
  heartbeatTimeoutMs?: number;
}

/**
 * Options of {@link createVerifier}; only `issuer` and `audience` are required.
 *
 * @example
 * ```ts
 * const options: VerifierOptions = { issuer: 'https://auth.example.com', audience: 'https://api.example.com', clockTolerance: 10 };
 * ```
 */
export interface VerifierOptions {
  /** Exact `iss` of accepted tokens, e.g. `https://auth.example.com`. */
  issuer: string;
  /** Accepted `aud` value(s): a token must name at least one. */
  audience: string | readonly string[];
  /** Seconds of clock skew allowed on `exp` and `nbf` (default 5). */
  clockTolerance?: number;
  /** Skip discovery and fetch keys here. */
  jwksUri?: string;
  /** Narrow the accepted algorithms further (each key is always pinned to its own). */
  algorithms?: readonly PublicAlgorithm[];
  revocations?: RevocationOptions;
  /** `fetch` to use for keys and the feed (default the global one). */
  fetch?: FetchLike;
  /** Verified tokens kept until `exp` (default 10000). */
  cacheSize?: number;
  /** Least time between key fetches for an unknown `kid` (default 1000 ms). */
  jwksCooldownMs?: number;
  /** Called with background failures (key refresh, feed outages). */
  onError?: (error: unknown) => void;
  /** Epoch milliseconds (default `Date.now`); for tests. */
  now?: () => number;
}

/**
 * What a verifier holds and how its feed is doing, for health checks and metrics.
 *
 * @example
 * ```ts
 * const feed = verifier.status().revocations;
 * if (feed && !feed.connected) console.warn('revocation feed down since', new Date(feed.lastContactAt));
 * ```
 */
export interface VerifierStatus {
  keys: number;
  cachedTokens: number;
  revocations: null | {
    transport: 'sse' | 'poll';
    connected: boolean;
    synced: boolean;
    cursor: string | null;
    lastContactAt: number;
    rules: number;
  };
}

/**
 * Verifies Latchkey access tokens locally. See {@link createVerifier}.
 *
 * @example
 * ```ts
 * const verifier: Verifier = createVerifier({ issuer, audience: issuer });
 * await verifier.ready();
 * const { sub } = await verifier.verify(token);
 * await verifier.close();
 * ```
 */
export interface Verifier {
  /** Resolves with the token's identity, or rejects with a {@link VerifyError}. */
  verify(token: string): Promise<Identity>;
  /** Resolves once keys are loaded and, when following, the feed has been read once. */
  ready(): Promise<void>;
  status(): VerifierStatus;
  /** Stops following the feed. */
  close(): Promise<void>;
}

const ACCESS_TOKEN_TYPES = new Set(['at+jwt', 'application/at+jwt']);

/** RFC 6749 §3.3: space-delimited; stray spaces make no empty scope. */
function scopesOf(scope: string): string[] {
  if (scope === '') return [];
  const parts = scope.split(' ');
  return parts.includes('') ? parts.filter((s) => s !== '') : parts;
}
const FORGET_EVERY_MS = 60_000;

/**
 * The cache key of a token: its last 24 characters, from its signature. A Map hashes its
 * string keys, and a token read from a request is a new string every time, so keying by
 * the whole token (hundreds of characters) cost more than the rest of a cached
 * verification (≈1.4 µs against ≈0.1 µs, measured). The entry keeps the whole token and
 * a hit must equal it, so two tokens sharing a key only ever miss; and only verified
 * tokens are stored, whose signatures nobody can choose.
 */
function cacheKey(token: string): string {
  return token.slice(-24);
}

interface CacheEntry {
  /** The whole token: a hit counts only when it is the same token, not just the same key. */
  token: string;
  identity: Identity;
  /** `exp` plus the tolerance, in ms. */
  until: number;
  key: VerificationKey;
}

class LatchkeyVerifier implements Verifier {
  private readonly issuer: string;
  private readonly audiences: ReadonlySet<string>;
  private readonly tolerance: number;
  private readonly now: () => number;
  private readonly keys: KeySet;
  private readonly cache: TokenCache<CacheEntry>;
  private readonly denylist = new Denylist();
  private readonly follower: RevocationFollower | null = null;
  private readonly failClosedAfterMs: number | undefined;
  private readonly forgetTimer: NodeJS.Timeout | null = null;
  private readonly initialKeys: Promise<void>;
  private firstAttemptDone = false;

  constructor(options: VerifierOptions) {
    if (typeof options.issuer !== 'string' || !/^https?:\/\//.test(options.issuer)) throw new TypeError('issuer must be an http(s) URL');
    const audiences = typeof options.audience === 'string' ? [options.audience] : [...(options.audience ?? [])];
    if (audiences.length === 0 || audiences.some((a) => typeof a !== 'string' || a === '')) throw new TypeError('audience is required');
    this.issuer = options.issuer;
    this.audiences = new Set(audiences);
    this.tolerance = options.clockTolerance ?? 5;
    if (!(this.tolerance >= 0)) throw new TypeError('clockTolerance must be a number of seconds >= 0');
    this.now = options.now ?? Date.now;
    this.cache = new TokenCache(options.cacheSize ?? 10_000);
    const fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    const onError = options.onError ?? (() => {});
    const algorithms = options.algorithms ?? PUBLIC_ALGORITHMS;
    if (algorithms.some((a) => !PUBLIC_ALGORITHMS.includes(a)))
      throw new TypeError(`algorithms must be among ${PUBLIC_ALGORITHMS.join(', ')}`);
    this.keys = new KeySet({
      issuer: options.issuer,
      jwksUri: options.jwksUri,
      fetch,
      now: this.now,
      algorithms,
      cooldownMs: options.jwksCooldownMs ?? 1000,
      maxAgeMs: 5 * 60_000,
      timeoutMs: 5000,
    });
    this.initialKeys = this.keys.refresh();
    this.initialKeys.catch(onError);

    const revocations = options.revocations;
    if (revocations && revocations.follow !== false) {
      const token = revocations.accessToken;
      if (token === undefined || token === '') throw new TypeError('revocations.accessToken is required to follow the revocation feed');
      this.failClosedAfterMs = revocations.failClosedAfterMs;
      this.follower = new RevocationFollower({
        url: (revocations.url ?? `${options.issuer.replace(/\/+$/, '')}/revocations`).replace(/\/+$/, ''),
        fetch,
        accessToken: typeof token === 'function' ? token : () => token,
        now: this.now,
        onEvent: (event) => this.denylist.apply(event),
        onError,
        transport: revocations.transport ?? 'sse',
        pollIntervalMs: revocations.pollIntervalMs ?? 1000,
        heartbeatTimeoutMs: revocations.heartbeatTimeoutMs ?? 15_000,
        timeoutMs: 5000,
      });
      this.follower.firstAttempt.then(() => (this.firstAttemptDone = true));
      this.follower.start();
      this.forgetTimer = setInterval(() => this.denylist.forget(this.now() - this.tolerance * 1000), FORGET_EVERY_MS).unref();
    }
  }

  verify(token: string): Promise<Identity> {
    try {
      return Promise.resolve(this.verifyNow(token));
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }

  /**
   * The hot path: synchronous when the token is cached or its key is held, so a
   * middleware pays no promise per request; a promise only when keys must be fetched.
   */
  private verifyNow(token: string): Identity | Promise<Identity> {
    if (this.follower !== null && !this.firstAttemptDone) return this.follower.firstAttempt.then(() => this.verifyNow(token));
    const now = this.now();
    if (typeof token !== 'string' || token === '') throw new InvalidTokenError('token_malformed');
    const entryKey = cacheKey(token);
    const cached = this.cache.get(entryKey);
    if (cached !== undefined && cached.token === token) {
      if (now < cached.until && this.keys.holds(cached.key)) {
        this.checkRevocation(cached.identity, now);
        return cached.identity;
      }
      this.cache.delete(entryKey);
    }
    const parsed = parseCompactJws(token);
    if (parsed === null) throw new InvalidTokenError('token_malformed');
    const typ = parsed.header.typ;
    // RFC 9068 §4: the `typ` header must say this is an access token, not an ID token.
    if (typeof typ !== 'string' || !ACCESS_TOKEN_TYPES.has(typ.toLowerCase())) throw new InvalidTokenError('token_type_invalid');
    const kid = parsed.header.kid;
    if (kid === undefined) throw new InvalidTokenError('key_unknown');
    const payload = decodePayload(parsed.payloadB64);
    if (payload === null) throw new InvalidTokenError('token_malformed');
    // Checked before any key fetch, so a foreign token never makes us call the issuer.
    if (payload.iss !== this.issuer) throw new InvalidTokenError('issuer_invalid');
    const key = this.keys.get(kid);
    const finish = (key: VerificationKey | undefined): Identity | Promise<Identity> => {
      if (key === undefined) throw new InvalidTokenError('key_unknown');
      // The algorithm is the key's; a header naming another one is refused (RFC 8725 §3.1).
      if (parsed.header.alg !== key.alg) throw new InvalidTokenError('algorithm_mismatch');
      const valid = verifySignatureOffLoop(key.alg, key.key, parsed.signingInput, parsed.signature);
      return valid instanceof Promise ? valid.then((ok) => accept(key, ok)) : accept(key, valid);
    };
    const accept = (key: VerificationKey, valid: boolean): Identity => {
      if (!valid) throw new InvalidTokenError('signature_invalid');
      const identity = this.claims(payload);
      const at = this.now();
      const until = (identity.exp + this.tolerance) * 1000;
      if (at >= until) throw new TokenExpiredError();
      if (typeof payload.nbf === 'number' && (payload.nbf - this.tolerance) * 1000 > at) throw new TokenNotYetValidError();
      this.cache.set(entryKey, { token, identity, until, key });
      this.checkRevocation(identity, at);
      return identity;
    };
    if (key !== undefined) return finish(key);
    return this.keys.resolve(kid).then(finish);
  }

  /** RFC 9068 §2.2 required claims, typed; `aud` must name one of ours. */
  private claims(payload: Record<string, unknown>): Identity {
    const { sub, aud, exp, iat, jti, client_id, scope, sid, roles, tenant_id, name, nbf } = payload;
    if (typeof sub !== 'string' || sub === '' || typeof jti !== 'string' || typeof client_id !== 'string') {
      throw new InvalidTokenError('claim_invalid');
    }
    if (!Number.isFinite(exp) || !Number.isFinite(iat) || (nbf !== undefined && !Number.isFinite(nbf))) {
      throw new InvalidTokenError('claim_invalid');
    }
    if (typeof aud === 'string' ? !this.audiences.has(aud) : !Array.isArray(aud) || !aud.some((a) => this.audiences.has(a as string))) {
      throw new InvalidTokenError('audience_invalid');
    }
    if ((scope !== undefined && typeof scope !== 'string') || (sid !== undefined && typeof sid !== 'string')) {
      throw new InvalidTokenError('claim_invalid');
    }
    if (roles !== undefined && !(Array.isArray(roles) && roles.every((r) => typeof r === 'string')))
      throw new InvalidTokenError('claim_invalid');
    const scopeText = scope ?? '';
    // One identity object is shared by every request bearing the token (it is cached),
    // so it is frozen rather than copied; the parsed payload is ours to freeze in place.
    return Object.freeze({
      sub,
      sid: sid ?? null,
      roles: Object.freeze((roles as string[] | undefined) ?? []),
      tenant_id: typeof tenant_id === 'string' ? tenant_id : null,
      scope: scopeText,
      scopes: Object.freeze(scopesOf(scopeText)),
      client_id,
      jti,
      iat: iat as number,
      exp: exp as number,
      name: typeof name === 'string' ? name : null,
      claims: Object.freeze(payload),
    });
  }

  private checkRevocation(identity: Identity, now: number): void {
    if (this.follower === null) return;
    if (this.failClosedAfterMs !== undefined && this.follower.silentLongerThan(this.failClosedAfterMs, now)) {
      throw new VerifierUnavailableError('revocation_feed_stale', 'Revocations cannot be checked right now.');
    }
    const rule = this.denylist.match(identity.sid, identity.sub, identity.iat, identity.jti);
    if (rule !== null) throw new TokenRevokedError(rule);
  }

  async ready(): Promise<void> {
    await this.initialKeys.catch(() => this.keys.refresh());
    if (this.follower) await this.follower.firstSync;
  }

  status(): VerifierStatus {
    const f = this.follower;
    return {
      keys: this.keys.size,
      cachedTokens: this.cache.size,
      revocations: f && {
        transport: f.transport,
        connected: f.connected,
        synced: f.synced,
        cursor: f.cursor,
        lastContactAt: f.lastContact,
        rules: this.denylist.size,
      },
    };
  }

  async close(): Promise<void> {
    if (this.forgetTimer) clearInterval(this.forgetTimer);
    await this.follower?.close();
  }

  [VERIFY_NOW](token: string): Identity | Promise<Identity> {
    return this.verifyNow(token);
  }
}

/**
 * Creates a verifier of Latchkey access tokens that needs no network call per request:
 * keys come from the issuer's JWKS (found through discovery, cached, refetched on an
 * unknown `kid`), each key pinned to its algorithm; `typ` (`at+jwt`), `iss`, `aud`,
 * `exp` and `nbf` are checked with a clock tolerance; verified tokens are cached until
 * `exp`; and with `revocations.follow` the issuer's revocation feed is followed into an
 * in-memory denylist so a revoked session, user or token is refused within a second.
 *
 * @example
 * ```ts
 * import { createVerifier } from '@latchkey/node';
 *
 * const verifier = createVerifier({
 *   issuer: 'https://auth.example.com',
 *   audience: 'https://auth.example.com',
 *   revocations: { follow: true, accessToken: process.env.LATCHKEY_FEED_TOKEN },
 * });
 * const identity = await verifier.verify(token); // throws a VerifyError when refused
 * console.log(identity.sub, identity.roles);
 * ```
 */
export function createVerifier(options: VerifierOptions): Verifier {
  return new LatchkeyVerifier(options);
}
