import { createPublicKey, type JsonWebKey, type KeyObject } from 'node:crypto';
import { VerifierUnavailableError } from '../errors.js';
import type { JwsAlgorithm } from '../jws.js';
import type { FetchLike } from './fetch.js';
import { fetchJson, HttpStatusError } from './fetch.js';

/** Algorithms a published key may be pinned to. Symmetric keys are never trusted from a JWKS. */
export type PublicAlgorithm = Exclude<JwsAlgorithm, 'HS256'>;
export const PUBLIC_ALGORITHMS: readonly PublicAlgorithm[] = ['RS256', 'ES256', 'EdDSA'];

/** Longest a request waits for the next allowed key fetch. */
const MAX_WAIT_MS = 1000;

export interface VerificationKey {
  kid: string;
  alg: PublicAlgorithm;
  key: KeyObject;
}

export interface KeySetOptions {
  issuer: string;
  jwksUri?: string;
  fetch: FetchLike;
  now: () => number;
  /** Only keys pinned to these algorithms are used. */
  algorithms: readonly PublicAlgorithm[];
  /** Least time between two fetches made for an unknown `kid`. */
  cooldownMs: number;
  /** Keys are refetched in the background once this old (new keys appear, retired ones go). */
  maxAgeMs: number;
  timeoutMs: number;
}

/** The `alg` a JWK is pinned to: its own `alg`, else the only one its key type allows here. */
function algorithmOf(jwk: JsonWebKey & { alg?: unknown }): PublicAlgorithm | null {
  const inferred =
    jwk.kty === 'RSA'
      ? 'RS256'
      : jwk.kty === 'EC' && jwk.crv === 'P-256'
        ? 'ES256'
        : jwk.kty === 'OKP' && jwk.crv === 'Ed25519'
          ? 'EdDSA'
          : null;
  if (inferred === null) return null;
  if (jwk.alg === undefined) return inferred;
  return jwk.alg === inferred ? inferred : null;
}

/**
 * The issuer's published keys (RFC 7517), found through discovery, imported once into
 * `KeyObject`s, refreshed when stale and refetched, rate-limited, when a token names a
 * `kid` not held. Each key is pinned to one algorithm.
 */
export class KeySet {
  private keys = new Map<string, VerificationKey & { json: string }>();
  private jwksUri: string | null;
  private fetchedAt = Number.NEGATIVE_INFINITY;
  private lastAttemptAt = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | null = null;
  private delayed: Promise<void> | null = null;

  constructor(private readonly options: KeySetOptions) {
    this.jwksUri = options.jwksUri ?? null;
  }

  get size(): number {
    return this.keys.size;
  }

  /** The key for `kid`; starts a background refresh when the set is stale. */
  get(kid: string): VerificationKey | undefined {
    const now = this.options.now();
    if (now - this.fetchedAt > this.options.maxAgeMs && now - this.lastAttemptAt > this.options.cooldownMs && this.inflight === null) {
      void this.refresh().catch(() => {});
    }
    return this.keys.get(kid);
  }

  /** True while `key` is still the one published for its `kid`. */
  holds(key: VerificationKey): boolean {
    return this.keys.get(key.kid) === key;
  }

  /**
   * For a `kid` not held: refetch (at most once per cooldown, one fetch shared by every
   * caller), then look again. Within the cooldown a caller waits for the next allowed
   * fetch when that is at most a second away (a key rotated just after our last fetch),
   * else it is refused at once.
   */
  async resolve(kid: string): Promise<VerificationKey | undefined> {
    const held = this.keys.get(kid);
    if (held) return held;
    const wait = this.lastAttemptAt + this.options.cooldownMs - this.options.now();
    if (this.inflight) await this.inflight;
    else if (wait > MAX_WAIT_MS) return undefined;
    else if (wait > 0) {
      this.delayed ??= new Promise<void>((resolve) => setTimeout(resolve, wait).unref()).then(() => {
        this.delayed = null;
        return this.refresh();
      });
      await this.delayed;
    } else await this.refresh();
    return this.keys.get(kid);
  }

  /** Fetches the key set now (one fetch at a time). */
  refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.lastAttemptAt = this.options.now();
    try {
      const uri = this.jwksUri ?? (this.jwksUri = await this.discover());
      const body = await fetchJson(this.options.fetch, uri, {}, this.options.timeoutMs);
      const list = (body as { keys?: unknown }).keys;
      if (!Array.isArray(list)) throw new Error(`${uri} is not a JWK Set`);
      const next = new Map<string, VerificationKey & { json: string }>();
      for (const jwk of list as Array<JsonWebKey & { kid?: unknown; use?: unknown; key_ops?: unknown }>) {
        const imported = this.importKey(jwk);
        if (imported && !next.has(imported.kid)) next.set(imported.kid, imported);
      }
      this.keys = next;
      this.fetchedAt = this.options.now();
    } catch (error) {
      throw error instanceof VerifierUnavailableError
        ? error
        : Object.assign(new VerifierUnavailableError('keys_unavailable', 'The signing keys cannot be fetched.'), { cause: error });
    }
  }

  /**
   * OpenID Connect Discovery 1.0 §4: `jwks_uri` from the issuer's metadata; an issuer
   * without discovery publishes at `/.well-known/jwks.json` (API.md "Tokens").
   */
  private async discover(): Promise<string> {
    const base = this.options.issuer.replace(/\/+$/, '');
    try {
      const metadata = (await fetchJson(this.options.fetch, `${base}/.well-known/openid-configuration`, {}, this.options.timeoutMs)) as {
        issuer?: unknown;
        jwks_uri?: unknown;
      };
      // §4.3: the metadata must be the issuer's own.
      if (metadata.issuer !== undefined && metadata.issuer !== this.options.issuer) {
        throw new Error(`discovery names issuer ${String(metadata.issuer)}, not ${this.options.issuer}`);
      }
      if (typeof metadata.jwks_uri !== 'string' || !/^https?:\/\//.test(metadata.jwks_uri)) throw new Error('discovery has no jwks_uri');
      return metadata.jwks_uri;
    } catch (error) {
      if (error instanceof HttpStatusError && error.status === 404) return `${base}/.well-known/jwks.json`;
      throw error;
    }
  }

  private importKey(jwk: JsonWebKey & { kid?: unknown; use?: unknown; key_ops?: unknown }): (VerificationKey & { json: string }) | null {
    if (typeof jwk !== 'object' || jwk === null || typeof jwk.kid !== 'string' || jwk.kid === '') return null;
    if (jwk.use !== undefined && jwk.use !== 'sig') return null;
    if (jwk.key_ops !== undefined && !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))) return null;
    if (jwk.d !== undefined || jwk.k !== undefined) return null; // private or symmetric material has no place in a JWKS
    const alg = algorithmOf(jwk);
    if (alg === null || !this.options.algorithms.includes(alg)) return null;
    const json = JSON.stringify(jwk);
    const previous = this.keys.get(jwk.kid);
    if (previous && previous.json === json) return previous;
    try {
      const key = createPublicKey({ key: jwk, format: 'jwk' });
      // RFC 7518 §3.3: RSA keys of 2048 bits or more.
      if (alg === 'RS256' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) return null;
      return { kid: jwk.kid, alg, key, json };
    } catch {
      return null;
    }
  }
}
