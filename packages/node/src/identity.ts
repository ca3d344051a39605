/**
 * The person (or client) an access token speaks for, as read from its verified claims
 * (RFC 9068 §2.2 plus Latchkey's `sid`, `roles`, `tenant_id`, `name`).
 *
 * @example
 * ```ts
 * const identity: Identity = await verifier.verify(token);
 * if (identity.roles.includes('admin')) { ... }
 * ```
 */
export interface Identity {
  /** User id (or the client id for a client's own token). */
  sub: string;
  /** Session id; null for tokens not bound to a session. */
  sid: string | null;
  roles: readonly string[];
  tenant_id: string | null;
  /** Space-separated scopes, as in the token (RFC 9068 §2.2.3). */
  scope: string;
  /** `scope` split into its values. */
  scopes: readonly string[];
  client_id: string;
  jti: string;
  /** Seconds since the epoch. */
  iat: number;
  /** Seconds since the epoch. */
  exp: number;
  name: string | null;
  /** Every claim of the token, for anything not lifted above. */
  claims: Readonly<Record<string, unknown>>;
}
