export { createVerifier } from './create-verifier.js';
export type { RevocationOptions, Verifier, VerifierOptions, VerifierStatus } from './create-verifier.js';
export type { Identity } from './identity.js';
export {
  VerifyError,
  InvalidTokenError,
  TokenExpiredError,
  TokenNotYetValidError,
  TokenRevokedError,
  VerifierUnavailableError,
} from './errors.js';
export type { InvalidTokenCode, RevocationRule, UnavailableCode, VerifyErrorCode } from './errors.js';
export { latchkeyExpress } from './express.js';
export type { AuthenticateOptions, ExpressMiddleware } from './express.js';
export { latchkeyFastify } from './fastify.js';
export type { AuthenticateHook, LatchkeyFastifyOptions } from './fastify.js';
export { requireRole, requireScope, requireTenant } from './guards.js';
export type { Guard } from './guards.js';
export type { FetchLike } from './lib/fetch.js';
export type { PublicAlgorithm } from './lib/key-set.js';
