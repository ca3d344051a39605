/** RFC 6749 §3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ) */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]{1,128}$/;
const MAX_SCOPES = 64;

/** The scopes of OpenID Connect (OIDC Core §5.4, §11) that only make sense with a person. */
export const OIDC_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;
/** What the revocation feed asks of its callers (API.md "Revocation feed"). */
export const REVOCATIONS_SCOPE = 'revocations:read';

/**
 * Space-delimited scope string -> distinct tokens in order; null when malformed,
 * including a value of spaces only (RFC 6749 §3.3: at least one scope-token).
 */
export function parseScope(value: string): string[] | null {
  const tokens = value.split(' ').filter((t) => t !== '');
  if (tokens.length === 0 || tokens.length > MAX_SCOPES || !tokens.every((t) => SCOPE_TOKEN.test(t))) return null;
  return [...new Set(tokens)];
}

export function formatScope(scopes: readonly string[]): string {
  return scopes.join(' ');
}

export function isScopeToken(value: string): boolean {
  return SCOPE_TOKEN.test(value);
}

export function hasScope(scope: string, wanted: string): boolean {
  return scope.split(' ').includes(wanted);
}

/** Scopes in `requested` that `allowed` does not contain. */
export function scopesOutside(requested: readonly string[], allowed: readonly string[]): string[] {
  const set = new Set(allowed);
  return requested.filter((s) => !set.has(s));
}
