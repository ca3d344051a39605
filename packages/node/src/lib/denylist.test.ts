import { describe, expect, it } from 'vitest';
import { Denylist } from './denylist.js';

const at = Date.UTC(2030, 0, 1, 12, 0, 0, 500);
const iat = (ms: number) => Math.floor(ms / 1000);

describe('Denylist', () => {
  it('matches session, jti and user rules, and nothing else', () => {
    const list = new Denylist();
    list.apply({ cursor: '1', type: 'session', id: 's1', at, until: at + 1000 });
    list.apply({ cursor: '2', type: 'jti', id: 'j1', at, until: at + 1000 });
    list.apply({ cursor: '3', type: 'user', id: 'u1', at, until: at + 1000 });
    expect(list.match('s1', 'u2', iat(at), 'j2')).toBe('session');
    expect(list.match(null, 'u2', iat(at), 'j1')).toBe('jti');
    expect(list.match('s2', 'u1', iat(at) - 1, 'j2')).toBe('user');
    expect(list.match('s2', 'u2', iat(at) - 1, 'j2')).toBeNull();
  });

  it('applies a user rule to tokens issued in earlier seconds only: iat cannot order tokens within the second of the rule', () => {
    const list = new Denylist();
    list.apply({ cursor: '1', type: 'user', id: 'u1', at, until: at + 1000 });
    expect(list.match(null, 'u1', iat(at - 1000), 'j')).toBe('user');
    expect(list.match(null, 'u1', iat(at), 'j')).toBeNull();
    expect(list.match(null, 'u1', iat(at + 1000), 'j')).toBeNull();
  });

  it('is idempotent, keeps the latest user rule, and forgets rules after until', () => {
    const list = new Denylist();
    const later = at + 10_000;
    list.apply({ cursor: '1', type: 'user', id: 'u1', at: later, until: later + 1000 });
    list.apply({ cursor: '1', type: 'user', id: 'u1', at, until: at + 1000 });
    list.apply({ cursor: '2', type: 'session', id: 's1', at, until: at + 1000 });
    list.apply({ cursor: '2', type: 'session', id: 's1', at, until: at + 1000 });
    expect(list.size).toBe(2);
    expect(list.match(null, 'u1', iat(later) - 1, 'j')).toBe('user');
    list.forget(at + 1001);
    expect(list.match('s1', 'u9', 0, 'j')).toBeNull();
    expect(list.match(null, 'u1', iat(later) - 1, 'j')).toBe('user');
    list.forget(later + 1001);
    expect(list.size).toBe(0);
  });
});
