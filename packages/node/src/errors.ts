/**
 * Why a token was refused. Every error is a class with a stable `code` a `switch` can
 * narrow, and the HTTP status a resource server should answer with (RFC 6750 §3.1).
 */

/** Codes of tokens that are not acceptable: answer `401` with `error="invalid_token"`. */
export type InvalidTokenCode =
  | 'token_malformed'
  | 'token_type_invalid'
  | 'key_unknown'
  | 'algorithm_mismatch'
  | 'signature_invalid'
  | 'issuer_invalid'
  | 'audience_invalid'
  | 'claim_invalid';

/** Codes of a verifier that cannot decide right now: answer `503`. */
export type UnavailableCode = 'keys_unavailable' | 'revocation_feed_stale';

export type VerifyErrorCode = InvalidTokenCode | 'token_expired' | 'token_not_yet_valid' | 'token_revoked' | UnavailableCode;

/**
 * Base class of every verification failure.
 *
 * @example
 * ```ts
 * try {
 *   const identity = await verifier.verify(token);
 * } catch (error) {
 *   if (error instanceof VerifyError) console.log(error.code, error.status);
 * }
 * ```
 */
export abstract class VerifyError extends Error {
  abstract readonly code: VerifyErrorCode;
  abstract readonly status: 401 | 503;
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * The token is not one this verifier accepts: malformed, wrong `typ`, unknown `kid`,
 * an algorithm other than the key's, a bad signature, or a foreign `iss`/`aud`.
 *
 * @example
 * ```ts
 * if (error instanceof InvalidTokenError && error.code === 'audience_invalid') { ... }
 * ```
 */
export class InvalidTokenError extends VerifyError {
  readonly status = 401;
  constructor(
    readonly code: InvalidTokenCode,
    message = 'The access token is invalid.',
  ) {
    super(message);
  }
}

/**
 * `exp` (plus the clock tolerance) has passed (RFC 7519 §4.1.4).
 *
 * @example
 * ```ts
 * if (error instanceof TokenExpiredError) refreshAndRetry();
 * ```
 */
export class TokenExpiredError extends VerifyError {
  readonly code = 'token_expired';
  readonly status = 401;
  constructor() {
    super('The access token has expired.');
  }
}

/**
 * `nbf` (minus the clock tolerance) is still in the future (RFC 7519 §4.1.5).
 *
 * @example
 * ```ts
 * if (error instanceof TokenNotYetValidError) console.warn('check the clocks');
 * ```
 */
export class TokenNotYetValidError extends VerifyError {
  readonly code = 'token_not_yet_valid';
  readonly status = 401;
  constructor() {
    super('The access token is not valid yet.');
  }
}

/** Which revocation rule of the feed matched (API.md "Revocation feed"). */
export type RevocationRule = 'session' | 'user' | 'jti';

/**
 * The token was revoked: its session ended, every token of its user issued before some
 * moment was revoked, or the token itself was.
 *
 * @example
 * ```ts
 * if (error instanceof TokenRevokedError) console.log('revoked by a', error.rule, 'rule');
 * ```
 */
export class TokenRevokedError extends VerifyError {
  readonly code = 'token_revoked';
  readonly status = 401;
  constructor(readonly rule: RevocationRule) {
    super('The access token has been revoked.');
  }
}

/**
 * The verifier cannot decide now: the signing keys cannot be fetched for a `kid` it does
 * not hold, or (with `failClosedAfterMs`) the revocation feed has been silent too long.
 *
 * @example
 * ```ts
 * if (error instanceof VerifierUnavailableError) res.status(503).set('retry-after', '1').end();
 * ```
 */
export class VerifierUnavailableError extends VerifyError {
  readonly status = 503;
  constructor(
    readonly code: UnavailableCode,
    message = 'Tokens cannot be verified right now.',
  ) {
    super(message);
  }
}
