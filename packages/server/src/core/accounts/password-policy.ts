import { WeakPassword } from '../errors.js';

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/**
 * NFC-normalizes a password (so the same characters typed on two keyboards match) and
 * never truncates it. Lengths count Unicode code points, not UTF-16 units.
 */
export function normalizePassword(password: string): string {
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
