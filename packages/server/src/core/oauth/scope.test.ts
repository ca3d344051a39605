import { describe, expect, it } from 'vitest';
import { parseScope, scopesOutside } from './scope.js';

describe('scope (RFC 6749 §3.3)', () => {
  it('splits, de-duplicates and keeps order', () => {
    expect(parseScope('openid profile openid  email')).toEqual(['openid', 'profile', 'email']);
    expect(parseScope('revocations:read')).toEqual(['revocations:read']);
    // RFC 6749 §3.3: at least one scope-token.
    expect(parseScope('')).toBeNull();
    expect(parseScope('   ')).toBeNull();
  });

  it('refuses characters outside scope-token', () => {
    for (const bad of ['a"b', 'a\\b', 'caf\u00e9', 'a\tb']) expect(parseScope(bad)).toBeNull();
  });

  it('names the scopes outside an allowed set', () => {
    expect(scopesOutside(['openid', 'admin', 'email'], ['openid', 'email'])).toEqual(['admin']);
  });
});
