import { describe, expect, it } from 'vitest';
import { hashConcurrency, threadPoolSize } from './argon2-hasher.js';

describe('threadPoolSize', () => {
  it.each([
    [undefined, 4],
    ['', 4],
    ['8', 8],
    ['0', 4],
    ['-3', 4],
    ['many', 4],
    ['5000', 1024],
  ])('reads UV_THREADPOOL_SIZE=%j as %i threads', (value, expected) => {
    expect(threadPoolSize(value === undefined ? {} : { UV_THREADPOOL_SIZE: value })).toBe(expected);
  });
});

describe('hashConcurrency', () => {
  it.each([
    // [cores, pool threads, hashes at once]
    [1, 4, 1],
    [2, 4, 2],
    // More cores than the default pool can hash on while keeping two threads for signatures.
    [4, 4, 2],
    [16, 4, 2],
    [4, 6, 4],
    [16, 18, 16],
    [8, 64, 8],
    // A pool too small to keep threads free still lets one hash run.
    [2, 2, 1],
    [2, 1, 1],
  ])('with %i cores and %i pool threads runs %i hashes at once', (cores, pool, expected) => {
    expect(hashConcurrency(cores, pool)).toBe(expected);
  });
});
