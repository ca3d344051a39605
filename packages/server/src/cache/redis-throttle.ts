import type { Redis } from 'ioredis';
import type { ThrottleStore } from '../ports.js';
import { guarded } from './redis-connection.js';

const PREFIX = 'latchkey:throttle:';

// One round trip, atomic on the server: count the failure and extend its memory.
const COUNT_FAILURE = `
local failures = redis.call('HINCRBY', KEYS[1], 'failures', 1)
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return failures`;

// Raise the lock, never lower it: two nodes counting failures 5 and 6 at once may
// store their locks in either order. A key reset in between stays reset.
const RAISE_LOCK = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local current = tonumber(redis.call('HGET', KEYS[1], 'lockedUntil') or '0')
local proposed = tonumber(ARGV[1])
if proposed > current then redis.call('HSET', KEYS[1], 'lockedUntil', ARGV[1]) return proposed end
return current`;

/**
 * Login back-off counters shared by every node (API.md "Back-off"): the failure count is
 * exact under concurrency because Redis increments it, and the lock only ever grows.
 */
export function createRedisThrottleStore(redis: Redis): ThrottleStore {
  return {
    async get(key) {
      const [failures, lockedUntil] = await guarded(() => redis.hmget(PREFIX + key, 'failures', 'lockedUntil'));
      return { failures: Number(failures ?? 0), lockedUntil: Number(lockedUntil ?? 0) };
    },
    async recordFailure(key, ttlMs, lockFor) {
      const failures = Number(await guarded(() => redis.eval(COUNT_FAILURE, 1, PREFIX + key, String(ttlMs))));
      const proposed = lockFor(failures);
      const lockedUntil = Number(await guarded(() => redis.eval(RAISE_LOCK, 1, PREFIX + key, String(proposed))));
      return { failures, lockedUntil };
    },
    async reset(key) {
      await guarded(() => redis.del(PREFIX + key));
    },
  };
}
