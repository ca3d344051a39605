import type { Identity } from '../identity.js';

/** The synchronous-when-possible verification the middlewares call; not public API. */
export const VERIFY_NOW = Symbol('latchkey.verifyNow');

export type VerifyNow = (token: string) => Identity | Promise<Identity>;

/** The fast path of a verifier made by createVerifier, or its promise API for any other. */
export function verifyNowOf(verifier: { verify(token: string): Promise<Identity> }): VerifyNow {
  const fast = (verifier as { [VERIFY_NOW]?: VerifyNow })[VERIFY_NOW];
  return typeof fast === 'function' ? fast.bind(verifier) : (token) => verifier.verify(token);
}
