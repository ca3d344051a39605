import { InvalidRequest, WeakPassword } from '../errors.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** An unpaired UTF-16 surrogate: JSON can carry one (`"\ud800"`), Unicode text cannot. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Whether `value` is Unicode text: no unpaired surrogate. */
export function isWellFormedText(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/**
 * NFC-normalizes a password (so the same characters typed on two keyboards match) and
 * never truncates it. Lengths count Unicode code points, not UTF-16 units. A password
 * with an unpaired surrogate is refused: the hasher encodes it as UTF-8, which turns
 * every such surrogate into U+FFFD, so different passwords would hash alike.
 */
export function normalizePassword(password: string): string {
  if (!isWellFormedText(password)) throw new InvalidRequest('The password is not valid Unicode text (it holds an unpaired surrogate).');
  return password.normalize('NFC');
}

/** Throws WeakPassword unless the (normalized) password is acceptable. */
export function checkPasswordPolicy(password: string, common: ReadonlySet<string>): void {
  const length = [...password].length;
  if (length < PASSWORD_MIN) throw new WeakPassword(`The password must be at least ${PASSWORD_MIN} characters long.`);
  if (length > PASSWORD_MAX) throw new WeakPassword(`The password must be at most ${PASSWORD_MAX} characters long.`);
  if (common.has(password.toLowerCase())) {
    throw new WeakPassword('This password is among the most commonly used passwords; choose another.');
  }
}
