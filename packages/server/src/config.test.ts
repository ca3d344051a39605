import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseDuration } from './config.js';

describe('configuration from the environment', () => {
  it('serves on 127.0.0.1:8080 with SQLite under ./data and the contract defaults', () => {
    const config = loadConfig({}, '/srv/app');
    expect(config).toMatchObject({
      port: 8080,
      host: '127.0.0.1',
      issuer: 'http://localhost:8080',
      databaseUrl: 'sqlite:/srv/app/data/latchkey.db',
      redisUrl: null,
      signingAlg: 'RS256',
      accessTtl: 900,
      sessionTtl: 86400,
      rememberTtl: 30 * 86400,
      idleTtl: 7 * 86400,
      loginMaxFailures: 5,
      bodyLimit: 65536,
      bootstrapAdmin: null,
      trustProxy: false,
    });
  });

  it('reads every variable API.md names', () => {
    const config = loadConfig({
      PORT: '9000',
      HOST: '0.0.0.0',
      LATCHKEY_ISSUER: 'https://auth.example.com/',
      LATCHKEY_DATABASE_URL: 'postgres://u:p@db/latchkey',
      LATCHKEY_REDIS_URL: 'redis://cache:6379',
      LATCHKEY_SECRET: 'x'.repeat(40),
      LATCHKEY_SIGNING_ALG: 'ES256',
      LATCHKEY_ACCESS_TTL: '5m',
      LATCHKEY_SESSION_TTL: '12h',
      LATCHKEY_REMEMBER_TTL: '14d',
      LATCHKEY_IDLE_TTL: '3600',
      LATCHKEY_BOOTSTRAP_ADMIN: 'root@example.com:pass:with:colons',
      LATCHKEY_LOGIN_MAX_FAILURES: '3',
      LATCHKEY_TRUST_PROXY: '10.0.0.1,10.1.0.0/16',
    });
    expect(config).toMatchObject({
      port: 9000,
      host: '0.0.0.0',
      issuer: 'https://auth.example.com',
      audience: 'https://auth.example.com',
      databaseUrl: 'postgres://u:p@db/latchkey',
      redisUrl: 'redis://cache:6379',
      signingAlg: 'ES256',
      accessTtl: 300,
      sessionTtl: 43200,
      rememberTtl: 14 * 86400,
      idleTtl: 3600,
      bootstrapAdmin: { email: 'root@example.com', password: 'pass:with:colons' },
      loginMaxFailures: 3,
      trustProxy: '10.0.0.1,10.1.0.0/16',
    });
  });

  it.each([
    [{ LATCHKEY_ACCESS_TTL: 'abc' }, /LATCHKEY_ACCESS_TTL="abc" is not a duration/],
    [{ LATCHKEY_SESSION_TTL: '0' }, /LATCHKEY_SESSION_TTL/],
    [{ LATCHKEY_IDLE_TTL: '-5m' }, /LATCHKEY_IDLE_TTL/],
    [{ LATCHKEY_SIGNING_ALG: 'none' }, /LATCHKEY_SIGNING_ALG="none" must be one of RS256, ES256, EdDSA, HS256/],
    [{ LATCHKEY_SIGNING_ALG: 'rs256' }, /LATCHKEY_SIGNING_ALG/],
    [{ PORT: 'eighty' }, /PORT/],
    [{ PORT: '70000' }, /PORT/],
    [{ LATCHKEY_ISSUER: 'not a url' }, /LATCHKEY_ISSUER/],
    [{ LATCHKEY_DATABASE_URL: 'mysql://x' }, /LATCHKEY_DATABASE_URL/],
    [{ LATCHKEY_REDIS_URL: 'localhost:6379' }, /LATCHKEY_REDIS_URL/],
    [{ LATCHKEY_BOOTSTRAP_ADMIN: 'no-colon' }, /LATCHKEY_BOOTSTRAP_ADMIN must be email:password/],
    [{ LATCHKEY_LOGIN_MAX_FAILURES: '0' }, /LATCHKEY_LOGIN_MAX_FAILURES/],
    [{ LATCHKEY_SECRET: 'short' }, /LATCHKEY_SECRET must be at least 32 characters/],
    [{ NODE_ENV: 'production' }, /LATCHKEY_SECRET is required when NODE_ENV=production/],
    [{ LATCHKEY_TRUST_PROXY: 'evil; rm -rf' }, /LATCHKEY_TRUST_PROXY/],
  ])('refuses %j with one line naming the variable', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('parses durations with units into seconds', () => {
    expect(parseDuration('X', '90')).toBe(90);
    expect(parseDuration('X', '90s')).toBe(90);
    expect(parseDuration('X', '15m')).toBe(900);
    expect(parseDuration('X', '24h')).toBe(86400);
    expect(parseDuration('X', '30d')).toBe(2592000);
    expect(() => parseDuration('X', '1.5h')).toThrow(ConfigError);
    expect(() => parseDuration('X', '')).toThrow(ConfigError);
  });
});
