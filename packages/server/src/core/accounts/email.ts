/**
 * Emails are trimmed and unique case-insensitively (API.md). The key is NFKC, not just
 * NFC: besides composed and decomposed accents, compatibility forms (fullwidth "ａ",
 * ligatures, the Kelvin sign) fold to the letters they look like, so a look-alike of an
 * existing address is that address (RFC 8265 §3.3 maps width the same way), never a
 * second account beside it.
 */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFKC').toLowerCase();
}

// Deliberately loose: one "@", something on each side, a dot in the domain, no spaces,
// control, invisible formatting (zero-width, bidi overrides), private-use or unassigned
// characters, or unpaired surrogates. Deliverability is proven by mail, not by a regex.
const EMAIL = /^[^\s@\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}]{1,64}@[^\s@\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}]+\.[^\s@\p{Cc}\p{Cf}\p{Co}\p{Cn}\p{Cs}]+$/u;

export function isValidEmail(email: string): boolean {
  const trimmed = email.trim();
  return trimmed.length <= 254 && EMAIL.test(trimmed);
}
