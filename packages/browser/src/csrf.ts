/** API.md "Transports": the one cookie script may read. */
export const CSRF_COOKIE = '__Host-lk_csrf';

/** The CSRF token from its (non-HttpOnly) cookie, or null when there is none. */
export function csrfFromCookie(): string | null {
  if (typeof document === 'undefined') return null;
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === CSRF_COOKIE) return decodeURIComponent(part.slice(eq + 1).trim()) || null;
  }
  return null;
}

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS', 'TRACE'];

/** Whether a request changes state and so needs `X-CSRF-Token` (RFC 9110 §9.2.1 safe methods do not). */
export const isUnsafe = (method: string): boolean => !SAFE_METHODS.includes(method.toUpperCase());
