import { describe, expect, it } from 'vitest';
import { randomBase64url, randomHex, timeOrderedId } from './random.js';

describe('pooled random values', () => {
  it('gives base64url and hex strings of the asked length, never the same twice across pool refills', () => {
    const seen = new Set<string>();
    // 32 bytes each: 400 draws run through the 4 KiB pool three times.
    for (let i = 0; i < 400; i++) {
      const value = randomBase64url(32);
      expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      seen.add(value);
    }
    expect(seen.size).toBe(400);
    expect(randomHex(6)).toMatch(/^[0-9a-f]{12}$/);
  });

  it('refuses a draw larger than the pool rather than repeating bytes', () => {
    expect(() => randomBase64url(4097)).toThrow(RangeError);
  });
});

describe('timeOrderedId', () => {
  it('is a UUID version 7 whose first 48 bits are the milliseconds given', () => {
    const ms = Date.UTC(2026, 11, 5, 2, 30, 0, 123);
    const id = timeOrderedId(ms);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
  });

  it('sorts by time across milliseconds and stays unique within one', () => {
    const early = Array.from({ length: 1000 }, () => timeOrderedId(1_000));
    const late = timeOrderedId(1_001);
    expect(new Set(early).size).toBe(1000);
    for (const id of early) expect(id < late).toBe(true);
  });
});
