import { describe, expect, it } from 'vitest';
import { createLoginMarker, loginMarkerSatisfied } from './login-marker.js';

const key = Buffer.alloc(32, 7);
const now = Date.UTC(2030, 0, 1, 12);

describe('login marker (prompt=login / max_age round trip)', () => {
  it('is satisfied by a session that started after it, for ten minutes', () => {
    const marker = createLoginMarker(key, now);
    expect(loginMarkerSatisfied(key, marker, now + 1_000, now + 2_000)).toBe(true);
    expect(loginMarkerSatisfied(key, marker, now - 1_000, now + 2_000)).toBe(false);
    expect(loginMarkerSatisfied(key, marker, now + 1_000, now + 10 * 60_000 + 1)).toBe(false);
  });

  it('is refused when forged, altered or made with another key', () => {
    const marker = createLoginMarker(key, now);
    const [issuedAt, mac] = marker.split('.') as [string, string];
    expect(loginMarkerSatisfied(key, `${Number(issuedAt) - 60_000}.${mac}`, now, now)).toBe(false);
    expect(loginMarkerSatisfied(Buffer.alloc(32, 8), marker, now + 1, now + 1)).toBe(false);
    expect(loginMarkerSatisfied(key, `${issuedAt}.${'A'.repeat(22)}`, now + 1, now + 1)).toBe(false);
    expect(loginMarkerSatisfied(key, 'garbage', now + 1, now + 1)).toBe(false);
    expect(loginMarkerSatisfied(key, null, now + 1, now + 1)).toBe(false);
  });
});
