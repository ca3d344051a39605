import { describe, expect, it } from 'vitest';
import { hasDuplicateMembers } from './strict-json.js';

describe('hasDuplicateMembers', () => {
  it.each([
    ['{"a":1,"a":2}', true],
    ['{"a":1,"\\u0061":2}', true],
    ['{"x":{"a":1,"a":2}}', true],
    ['[{"a":1},{"a":2}]', false],
    ['{"a":"a","b":"a"}', false],
    ['{"a":["a","a"],"b":{"a":1}}', false],
    ['{"a\\"":1,"a":2}', false],
    ['{"k":"\\\\","k2":"}","k":3}', true],
    ['{}', false],
    ['"a"', false],
  ])('%s -> %s', (json, expected) => {
    JSON.parse(json);
    expect(hasDuplicateMembers(json)).toBe(expected);
  });
});
