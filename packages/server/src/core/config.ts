import type { KeyAlgorithm } from '../ports.js';

/** The settings the core's rules depend on. Durations are in seconds. */
export interface CoreConfig {
  issuer: string;
  /** `aud` of first-party access tokens. */
  audience: string;
  signingAlg: KeyAlgorithm;
  accessTtl: number;
  sessionTtl: number;
  rememberTtl: number;
  idleTtl: number;
  loginMaxFailures: number;
}

/** The client id first-party sessions (the /auth endpoints) are issued to. */
export const FIRST_PARTY_CLIENT_ID = 'latchkey';
export const FIRST_PARTY_SCOPE = 'openid profile email';
