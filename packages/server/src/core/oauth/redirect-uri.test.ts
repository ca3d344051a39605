import { describe, expect, it } from 'vitest';
import { redirectUriMatches, redirectUriProblem } from './redirect-uri.js';

describe('redirectUriProblem (what may be registered)', () => {
  it.each([
    'https://app.example.com/callback',
    'https://app.example.com/cb?tenant=1',
    'https://app.example.com:8443/cb',
    'http://127.0.0.1/callback',
    'http://127.0.0.1:3000/callback',
    'http://[::1]/callback',
    'http://localhost:3000/callback',
    'com.example.app:/oauth2redirect',
  ])('accepts %s', (uri) => {
    expect(redirectUriProblem(uri)).toBeNull();
  });

  it.each([
    ['', 'must be 1 to 2000 characters'],
    ['/relative/cb', 'must be an absolute URI'],
    ['https://app.example.com/cb#frag', 'must not contain a fragment (RFC 6749 §3.1.2)'],
    ['https://user:pw@app.example.com/cb', 'must not contain user information'],
    ['https://user@app.example.com/cb', 'must not contain user information'],
    ['http://app.example.com/cb', 'may use http only for 127.0.0.1, [::1] or localhost; use https'],
    ['javascript:alert(1)', 'must not use the javascript: scheme'],
    ['data:text/html,hi', 'must not use the data: scheme'],
    ['myapp:/cb', 'must use https, loopback http, or a reverse-domain private-use scheme'],
    ['https://app.example.com/c b', 'must not contain spaces, control characters or backslashes'],
    ['https://app.example.com/cb\n', 'must not contain spaces, control characters or backslashes'],
    ['https://app.example.com\\@evil.example/', 'must not contain spaces, control characters or backslashes'],
  ])('refuses %j: %s', (uri, problem) => {
    expect(redirectUriProblem(uri)).toBe(problem);
  });
});

describe('redirectUriMatches (RFC 9700 §4.1.3 exact match, RFC 8252 §7.3 loopback port)', () => {
  it.each([
    ['https://app.example.com/cb', 'https://app.example.com/cb', true],
    ['https://app.example.com/cb', 'https://app.example.com/cb/', false],
    ['https://app.example.com/cb', 'https://app.example.com/cb?x=1', false],
    ['https://app.example.com/cb', 'https://app.example.com:443/cb', false],
    ['https://app.example.com/cb', 'https://App.example.com/cb', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51234/cb', true],
    ['http://127.0.0.1:3000/cb', 'http://127.0.0.1:4000/cb', true],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51234/cb?x', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:51234/other', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:0/cb', false],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:99999/cb', false],
    ['http://127.0.0.1/cb', 'http://[::1]:5000/cb', false],
    ['http://[::1]/cb', 'http://[::1]:5000/cb', true],
    ['http://127.0.0.1/cb', 'http://127.0.0.1:80@evil.example/cb', false],
    ['http://localhost/cb', 'http://localhost:5000/cb', false],
    ['http://127.0.0.1/cb', 'https://127.0.0.1:5000/cb', false],
  ])('%s vs %s -> %s', (registered, requested, expected) => {
    expect(redirectUriMatches(registered, requested)).toBe(expected);
  });
});
