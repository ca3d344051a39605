/**
 * Emails are trimmed and unique case-insensitively (API.md). NFC first so that the same
 * address typed with composed or decomposed accents is one account.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

// Deliberately loose: one "@", something on each side, a dot in the domain, no spaces
// or control characters. Deliverability is proven by mail, not by a regex.
const EMAIL = /^[^\s@\p{Cc}]{1,64}@[^\s@\p{Cc}]+\.[^\s@\p{Cc}]+$/u;

export function isValidEmail(email: string): boolean {
  const trimmed = email.trim();
  return trimmed.length <= 254 && EMAIL.test(trimmed);
}
