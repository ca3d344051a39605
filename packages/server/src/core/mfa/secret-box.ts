import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/** The key TOTP secrets are sealed with and backup codes peppered with, from the master secret. */
export function deriveMfaKey(secret: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), 'latchkey', 'mfa/v1', 32));
}

/**
 * AES-256-GCM with the user id as associated data, so a sealed secret copied onto another
 * user's row does not open. Output: `v1.<iv>.<ciphertext>.<tag>` in base64url.
 */
export function sealSecret(key: Buffer, userId: string, plaintext: string): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(userId, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return ['v1', iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
}

export function openSecret(key: Buffer, userId: string, sealed: string): string {
  const [version, iv, body, tag] = sealed.split('.');
  if (version !== 'v1' || !iv || !body || !tag) throw new Error('unknown MFA secret format');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
  decipher.setAAD(Buffer.from(userId, 'utf8'));
  decipher.setAuthTag(Buffer.from(tag, 'base64url'));
  return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
}

/**
 * Backup codes carry ~50 bits: a plain SHA-256 of one could be brute-forced from a stolen
 * table. An HMAC under a key the database never holds cannot.
 */
export function hashBackupCode(key: Buffer, userId: string, normalizedCode: string): string {
  return createHmac('sha256', key).update(`backup-code:${userId}:${normalizedCode}`).digest('base64url');
}
