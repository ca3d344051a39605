/**
 * Redirect URIs: what may be registered (RFC 6749 §3.1.2, RFC 8252 §7, RFC 9700 §2.1)
 * and how a requested one is compared with the registered ones (exact string match,
 * RFC 9700 §4.1.3, except the port of a loopback IP literal, RFC 8252 §7.3).
 */
const MAX_LENGTH = 2000;
const LOOPBACK = /^http:\/\/(127\.0\.0\.1|\[::1\])(?::(\d{1,5}))?([/?][^#]*)?$/;
const FORBIDDEN_SCHEMES = new Set(['javascript:', 'data:', 'vbscript:', 'file:', 'blob:', 'about:', 'ftp:', 'ws:', 'wss:']);
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

export function hasControlCharacter(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

/** Why `uri` cannot be registered, or null when it can. */
export function redirectUriProblem(uri: string): string | null {
  if (uri.length === 0 || uri.length > MAX_LENGTH) return 'must be 1 to 2000 characters';
  if (/[\s\\]/.test(uri) || hasControlCharacter(uri)) return 'must not contain spaces, control characters or backslashes';
  if (uri.includes('#')) return 'must not contain a fragment (RFC 6749 §3.1.2)';
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return 'must be an absolute URI';
  }
  if (url.username || url.password || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(uri)) return 'must not contain user information';
  if (FORBIDDEN_SCHEMES.has(url.protocol)) return `must not use the ${url.protocol} scheme`;
  if (url.protocol === 'https:') return url.hostname ? null : 'must name a host';
  if (url.protocol === 'http:') {
    // RFC 8252 §8.3 / RFC 9700 §2.6: plain http only for loopback redirects of native apps.
    return LOOPBACK_HOSTS.has(url.host.replace(/:\d+$/, '')) ? null : 'may use http only for 127.0.0.1, [::1] or localhost; use https';
  }
  // RFC 8252 §7.1: private-use schemes of native apps are reverse domain names.
  return url.protocol.includes('.') ? null : 'must use https, loopback http, or a reverse-domain private-use scheme';
}

/** RFC 8252 §7.3: a loopback IP redirect matches whatever port the app listens on. */
export function redirectUriMatches(registered: string, requested: string): boolean {
  if (registered === requested) return true;
  const r = LOOPBACK.exec(registered);
  const q = LOOPBACK.exec(requested);
  if (!r || !q) return false;
  const port = q[2] === undefined ? 80 : Number(q[2]);
  return r[1] === q[1] && (r[3] ?? '') === (q[3] ?? '') && port >= 1 && port <= 65535;
}

/** The registered URI `requested` matches, or null. */
export function findRedirectUri(registered: readonly string[], requested: string): string | null {
  return registered.some((uri) => redirectUriMatches(uri, requested)) ? requested : null;
}
