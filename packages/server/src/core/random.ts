import { randomFillSync } from 'node:crypto';

/**
 * Bytes from the CSPRNG, drawn from a pool refilled 4 KiB at a time, as Node does for
 * `randomUUID()`. Each `randomBytes()` call crosses into OpenSSL on its own (≈5-8 µs
 * here, against a fraction of a microsecond to slice a pool); a refresh drew twice.
 * Every byte is handed out once and the pool is refilled in place, so the values are
 * exactly as unpredictable as `randomBytes()`'s.
 */
const POOL_SIZE = 4096;
const pool = Buffer.allocUnsafeSlow(POOL_SIZE);
let offset = POOL_SIZE;

function take(bytes: number): number {
  if (bytes > POOL_SIZE) throw new RangeError(`at most ${POOL_SIZE} random bytes at a time`);
  if (offset + bytes > POOL_SIZE) {
    randomFillSync(pool);
    offset = 0;
  }
  const start = offset;
  offset += bytes;
  return start;
}

/** `bytes` random bytes as base64url (no padding). */
export function randomBase64url(bytes: number): string {
  const start = take(bytes);
  return pool.toString('base64url', start, start + bytes);
}

/** `bytes` random bytes as lowercase hex. */
export function randomHex(bytes: number): string {
  const start = take(bytes);
  return pool.toString('hex', start, start + bytes);
}

/**
 * A UUID version 7 (RFC 9562 §5.7): 48 bits of Unix milliseconds, then 74 random bits.
 * Rows keyed by these are inserted at the right-hand edge of their B-tree indexes
 * instead of at a random leaf, so a commit writes one or two index pages instead of one
 * per row, and the pages the database keeps hot stay few as the table grows
 * (docs/benchmarks.md, growth). Used for session and refresh-token ids; the randomness
 * still makes them unguessable, and they are never secrets (the creation time they
 * carry is also in the session's `created_at`).
 */
export function timeOrderedId(ms: number): string {
  const hex = randomHex(10);
  const time = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  const variant = ((parseInt(hex[3]!, 16) & 0x3) | 0x8).toString(16);
  return `${time.slice(0, 8)}-${time.slice(8)}-7${hex.slice(0, 3)}-${variant}${hex.slice(4, 7)}-${hex.slice(8, 20)}`;
}
