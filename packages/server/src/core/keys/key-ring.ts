import { type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Clock, KeyAlgorithm, KeyStore, StoredKey } from '../../ports.js';
import { decryptJwk, encryptJwk, generateKey, importKeyPair } from './key-material.js';

interface LoadedKey {
  kid: string;
  alg: KeyAlgorithm;
  signKey: KeyObject;
  verifyKey: KeyObject;
  publicJwk: JsonWebKey | null;
  createdAt: number;
  retiredAt: number | null;
  publishUntil: number | null;
}

export interface KeyRingDeps {
  keys: KeyStore;
  clock: Clock;
  /** Encrypts private keys at rest (see deriveKeyEncryptionKey). */
  kek: Buffer;
  alg: KeyAlgorithm;
  /** Longest life of anything a key signs, in seconds: a retired key stays published that long. */
  maxTokenTtl: number;
}

/** The signing order: greatest (createdAt, kid) first. */
function newestFirst(a: LoadedKey, b: LoadedKey): number {
  return b.createdAt - a.createdAt || (a.kid < b.kid ? 1 : -1);
}

/** Other nodes pick up a rotation within this; a retired key stays published past it. */
export const KEY_RELOAD_MS = 30_000;
const UNKNOWN_KID_RELOAD_MS = 5_000;

/**
 * The signing keys shared through the store: one signs, the rest verify until every
 * token they signed has expired. Every node that shares the store and secret holds the
 * same ring; it reloads periodically and when it meets a `kid` it does not know.
 */
export class KeyRing {
  private byKid = new Map<string, LoadedKey>();
  private signing: LoadedKey | null = null;
  private loadedAt = 0;
  private lastUnknownReload = 0;

  constructor(private readonly deps: KeyRingDeps) {}

  /** Loads the ring and makes sure a key of the configured algorithm signs. */
  async init(): Promise<void> {
    await this.reload();
    if (!this.signing) {
      // Nodes starting together on an empty database: the store lets exactly one of
      // them insert the first key, and every node then signs with that one.
      await this.deps.keys.insertIfNoneSigning(this.newKey(this.deps.clock.now()).stored);
      await this.reload();
    }
    if (!this.signing || this.signing.alg !== this.deps.alg) await this.rotate();
  }

  private newKey(createdAt: number): { kid: string; stored: StoredKey } {
    const generated = generateKey(this.deps.alg);
    return {
      kid: generated.kid,
      stored: {
        kid: generated.kid,
        alg: this.deps.alg,
        publicJwk: generated.publicJwk ? JSON.stringify(generated.publicJwk) : null,
        privateJwkEncrypted: encryptJwk(generated.privateJwk, this.deps.kek),
        createdAt,
        retiredAt: null,
        publishUntil: null,
      },
    };
  }

  async reload(): Promise<void> {
    const stored = await this.deps.keys.list();
    const next = new Map<string, LoadedKey>();
    for (const key of stored) next.set(key.kid, this.byKid.get(key.kid) ?? this.load(key));
    for (const key of stored) {
      const loaded = next.get(key.kid)!;
      loaded.retiredAt = key.retiredAt;
      loaded.publishUntil = key.publishUntil;
    }
    this.byKid = next;
    // Several nodes starting on an empty store may each create a key; all of them pick
    // the same one (greatest by createdAt, then kid) so they sign alike.
    const active = [...next.values()].filter((k) => k.retiredAt === null).sort(newestFirst);
    this.signing = active[0] ?? null;
    this.loadedAt = this.deps.clock.now();
  }

  private load(key: StoredKey): LoadedKey {
    const { signKey, verifyKey } = importKeyPair(key.alg, decryptJwk(key.privateJwkEncrypted, this.deps.kek));
    return {
      kid: key.kid,
      alg: key.alg,
      signKey,
      verifyKey,
      publicJwk: key.publicJwk ? (JSON.parse(key.publicJwk) as JsonWebKey) : null,
      createdAt: key.createdAt,
      retiredAt: key.retiredAt,
      publishUntil: key.publishUntil,
    };
  }

  /** Creates a new signing key; the previous ones verify until their tokens expire. */
  async rotate(): Promise<{ kid: string; alg: KeyAlgorithm }> {
    const now = this.deps.clock.now();
    // Strictly newer than every key we hold, so the new key orders first even within one millisecond.
    const createdAt = Math.max(now, ...[...this.byKid.values()].map((k) => k.createdAt + 1));
    const { kid, stored } = this.newKey(createdAt);
    await this.deps.keys.insert(stored);
    await this.deps.keys.retireOlderThan({ kid, createdAt }, now, now + this.deps.maxTokenTtl * 1000 + 2 * KEY_RELOAD_MS);
    await this.reload();
    return { kid, alg: this.deps.alg };
  }

  /** Reloads when stale; call on a timer or before serving keys. */
  async maybeReload(): Promise<void> {
    if (this.deps.clock.now() - this.loadedAt >= KEY_RELOAD_MS) await this.reload();
  }

  signingKey(): { kid: string; alg: KeyAlgorithm; key: KeyObject } {
    if (!this.signing) throw new Error('key ring not initialised');
    return { kid: this.signing.kid, alg: this.signing.alg, key: this.signing.signKey };
  }

  /** The key for `kid` if it may still verify tokens. */
  verificationKey(kid: string): { alg: KeyAlgorithm; key: KeyObject } | null {
    const key = this.byKid.get(kid);
    if (!key || (key.publishUntil !== null && key.publishUntil <= this.deps.clock.now())) return null;
    return { alg: key.alg, key: key.verifyKey };
  }

  /** Reload at most every few seconds when a token names a kid we do not hold. */
  async reloadForUnknownKid(kid: string): Promise<boolean> {
    const now = this.deps.clock.now();
    if (this.byKid.has(kid) || now - this.lastUnknownReload < UNKNOWN_KID_RELOAD_MS) return false;
    this.lastUnknownReload = now;
    await this.reload();
    return this.byKid.has(kid);
  }

  /** RFC 7517 key set of every asymmetric key still verifying. */
  jwks(): { keys: JsonWebKey[] } {
    const now = this.deps.clock.now();
    const keys = [...this.byKid.values()]
      .filter((k) => k.publicJwk && (k.publishUntil === null || k.publishUntil > now))
      .sort(newestFirst)
      .map((k) => k.publicJwk!);
    return { keys };
  }

  list(): Array<{
    kid: string;
    alg: KeyAlgorithm;
    createdAt: number;
    retiredAt: number | null;
    publishUntil: number | null;
    signing: boolean;
  }> {
    return [...this.byKid.values()].sort(newestFirst).map((k) => ({
      kid: k.kid,
      alg: k.alg,
      createdAt: k.createdAt,
      retiredAt: k.retiredAt,
      publishUntil: k.publishUntil,
      signing: k === this.signing,
    }));
  }
}
