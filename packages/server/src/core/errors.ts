/**
 * Typed domain errors. Each carries the stable contract `code` (API.md) and the HTTP
 * status the edge translates it to; `debug` is logged with the request id, never sent.
 */
export type ErrorCode =
  | 'invalid_request'
  | 'invalid_credentials'
  | 'weak_password'
  | 'email_taken'
  | 'mfa_required'
  | 'invalid_mfa_code'
  | 'account_blocked'
  | 'rate_limited'
  | 'invalid_grant'
  | 'unauthorized'
  | 'csrf_failed'
  | 'forbidden'
  | 'not_found'
  | 'invalid_token'
  | 'temporarily_unavailable'
  | OAuthErrorCode;

/** RFC 6749 §4.1.2.1 and §5.2, RFC 7009 §2.2.1, RFC 6750 §3.1, OIDC Core §3.1.2.6. */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'server_error'
  | 'login_required'
  | 'consent_required'
  | 'interaction_required'
  | 'request_not_supported'
  | 'request_uri_not_supported'
  | 'unsupported_token_type'
  | 'invalid_token'
  | 'insufficient_scope';

export type EndReason =
  | 'logout'
  | 'logout_all'
  | 'revoked'
  | 'admin'
  | 'blocked'
  | 'password_changed'
  | 'password_reset'
  | 'reuse_detected'
  | 'idle_timeout'
  | 'expired';

export abstract class AuthError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;
  /** Extra fields the contract puts beside `error` (e.g. `reason`, `mfa_token`). */
  readonly extra: Record<string, unknown> = {};
  constructor(
    readonly description?: string,
    readonly debug?: string,
  ) {
    super(description);
    this.name = new.target.name;
  }
}

export class InvalidRequest extends AuthError {
  readonly code = 'invalid_request';
  readonly status = 400;
}
export class InvalidCredentials extends AuthError {
  readonly code = 'invalid_credentials';
  readonly status = 401;
  constructor(debug?: string) {
    super('The email or password is incorrect.', debug);
  }
}
export class WeakPassword extends AuthError {
  readonly code = 'weak_password';
  readonly status = 400;
}
export class EmailTaken extends AuthError {
  readonly code = 'email_taken';
  readonly status = 409;
  constructor() {
    super('An account with this email already exists.');
  }
}
/** Password was right; the account wants its second factor (POST /auth/login/mfa). */
export class MfaRequired extends AuthError {
  readonly code = 'mfa_required';
  readonly status = 401;
  constructor(mfaToken: string) {
    super('A second factor is required: send a code from the authenticator app or a backup code.');
    this.extra.mfa_token = mfaToken;
  }
}
/** 401 while signing in (POST /auth/login/mfa), 400 on the enrolment endpoints (API.md). */
export class InvalidMfaCode extends AuthError {
  readonly code = 'invalid_mfa_code';
  constructor(
    readonly status: 400 | 401,
    description = 'The code is not valid.',
    debug?: string,
  ) {
    super(description, debug);
  }
}
export class AccountBlocked extends AuthError {
  readonly code = 'account_blocked';
  readonly status = 403;
  constructor() {
    super('This account is blocked.');
  }
}
export class RateLimited extends AuthError {
  readonly code = 'rate_limited';
  readonly status = 429;
  constructor(readonly retryAfterSeconds: number) {
    super(`Too many attempts. Try again in ${retryAfterSeconds} seconds.`);
  }
}
export class InvalidGrant extends AuthError {
  readonly code = 'invalid_grant';
  readonly status = 401;
  constructor(description = 'The refresh token is invalid, expired or revoked.', reason?: EndReason, debug?: string) {
    super(description, debug);
    if (reason) this.extra.reason = reason;
  }
}
export class Unauthorized extends AuthError {
  readonly code = 'unauthorized';
  readonly status = 401;
  /** Whether a credential was presented (RFC 6750 §3.1 `error="invalid_token"`). */
  constructor(
    description = 'Authentication is required.',
    readonly tokenPresented = false,
    reason?: EndReason,
    debug?: string,
  ) {
    super(description, debug);
    if (reason) this.extra.reason = reason;
  }
}
export class CsrfFailed extends AuthError {
  readonly code = 'csrf_failed';
  readonly status = 403;
  constructor() {
    super('The X-CSRF-Token header is missing or does not match.');
  }
}
export class Forbidden extends AuthError {
  readonly code = 'forbidden';
  readonly status = 403;
}
export class NotFound extends AuthError {
  readonly code = 'not_found';
  readonly status = 404;
}
export class InvalidToken extends AuthError {
  readonly code = 'invalid_token';
  readonly status = 400;
}
export class TemporarilyUnavailable extends AuthError {
  readonly code = 'temporarily_unavailable';
  readonly status = 503;
  constructor(debug?: string) {
    super('The service is temporarily unavailable. Try again shortly.', debug);
  }
}
/**
 * An OAuth protocol error: 400 (RFC 6749 §5.2) unless told otherwise. The specific
 * reason goes to `debug`; the client sees the generic RFC code.
 */
export class OAuthError extends AuthError {
  constructor(
    readonly code: OAuthErrorCode,
    description: string,
    readonly status: 400 | 401 | 403 = 400,
    debug?: string,
  ) {
    super(oauthErrorDescription(description), debug);
  }
}

/**
 * RFC 6749 §4.1.2.1 and §5.2: error_description is limited to %x20-21 / %x23-5B / %x5D-7E,
 * and descriptions may quote what the caller sent: a double quote becomes a single one,
 * anything else outside the set a question mark.
 */
export function oauthErrorDescription(text: string): string {
  return text.replace(/"/g, "'").replace(/[^\x20-\x21\x23-\x5b\x5d-\x7e]/g, '?');
}
/** RFC 6749 §5.2: 401; the edge adds a `WWW-Authenticate: Basic` challenge. */
export class InvalidClient extends AuthError {
  readonly code = 'invalid_client';
  readonly status = 401;
  constructor(debug?: string) {
    super('Client authentication failed.', debug);
  }
}
