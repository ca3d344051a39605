import type { ActivityWindow, Clock } from '../ports.js';

/**
 * Distinct members per key over a sliding window, for one node. Each key keeps when it
 * last saw each member; members older than the window fall out as the key is touched.
 * Bounded: the oldest keys go first when `maxKeys` is reached.
 */
export function createMemoryActivityWindow(clock: Clock, maxKeys = 50_000, maxMembers = 10_000): ActivityWindow {
  const keys = new Map<string, Map<string, number>>();
  return {
    async addDistinct(key, member, windowMs) {
      const now = clock.now();
      const members = keys.get(key) ?? new Map<string, number>();
      keys.delete(key);
      for (const [m, at] of members) if (at <= now - windowMs) members.delete(m);
      members.delete(member);
      members.set(member, now);
      if (members.size > maxMembers) members.delete(members.keys().next().value!);
      if (keys.size >= maxKeys) keys.delete(keys.keys().next().value!);
      keys.set(key, members);
      return members.size;
    },
  };
}
