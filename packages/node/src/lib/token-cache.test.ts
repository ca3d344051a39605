import { describe, expect, it } from 'vitest';
import { TokenCache } from './token-cache.js';

describe('TokenCache', () => {
  it('never holds more than its limit, and drops the oldest tokens first', () => {
    const cache = new TokenCache<number>(4);
    for (let i = 0; i < 10; i++) {
      cache.set(`t${i}`, i);
      expect(cache.size).toBeLessThanOrEqual(4);
    }
    expect(cache.get('t9')).toBe(9);
    expect(cache.get('t8')).toBe(8);
    expect(cache.get('t0')).toBeUndefined();
    expect(cache.get('t5')).toBeUndefined();
  });

  it('keeps a token that is still being used while fresh ones stream through', () => {
    const cache = new TokenCache<string>(4);
    cache.set('hot', 'h');
    cache.set('cold', 'c');
    for (let i = 0; i < 20; i++) {
      cache.set(`fresh-${i}`, 'f');
      expect(cache.get('hot')).toBe('h');
    }
    expect(cache.get('cold')).toBeUndefined();
    expect(cache.size).toBeLessThanOrEqual(4);
  });

  it('forgets a deleted token', () => {
    const cache = new TokenCache<number>(10);
    cache.set('x', 1);
    cache.delete('x');
    expect(cache.get('x')).toBeUndefined();
    expect(cache.size).toBe(0);
  });
});
