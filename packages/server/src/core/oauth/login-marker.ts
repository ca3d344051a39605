import { createHmac } from 'node:crypto';
import { constantTimeEqual } from '../tokens/opaque-token.js';

/** A marker older than this no longer vouches for a fresh sign-in. */
const MARKER_LIFE_MS = 10 * 60_000;

function mac(key: Buffer, issuedAt: number): string {
  return createHmac('sha256', key).update(`oauth-login-after:${issuedAt}`).digest('base64url').slice(0, 22);
}

/**
 * prompt=login and max_age (OIDC Core §3.1.2.1) send the person to sign in again; the
 * return URL then carries this marker instead of the prompt, so the request does not
 * loop, and the session must have started after the marker. It is MACed so that a
 * hand-made URL cannot skip the re-authentication the client asked for.
 */
export function createLoginMarker(key: Buffer, now: number): string {
  const issuedAt = Math.floor(now / 1000) * 1000;
  return `${issuedAt}.${mac(key, issuedAt)}`;
}

/** True when the marker is ours, recent, and the session started after it. */
export function loginMarkerSatisfied(key: Buffer, marker: string | null, sessionCreatedAt: number, now: number): boolean {
  if (marker === null) return false;
  const match = /^(\d{1,15})\.([A-Za-z0-9_-]{22})$/.exec(marker);
  if (!match) return false;
  const issuedAt = Number(match[1]);
  if (!constantTimeEqual(mac(key, issuedAt), match[2]!)) return false;
  return now - issuedAt <= MARKER_LIFE_MS && sessionCreatedAt >= issuedAt;
}
