/**
 * Verified tokens, bounded. Two generations instead of evicting the oldest entry on every
 * insert: V8's Map keeps deleted slots until it rehashes, so "delete the first key" on a
 * full map walks ever more holes. Here, once the young generation is full it becomes the
 * old one and the previous old one is dropped whole; a hit in the old generation is
 * moved to the young one. At most `limit` entries are held.
 */
export class TokenCache<V> {
  private young = new Map<string, V>();
  private old = new Map<string, V>();
  private readonly half: number;

  constructor(limit: number) {
    this.half = Math.max(1, Math.floor(limit / 2));
  }

  get size(): number {
    return this.young.size + this.old.size;
  }

  get(key: string): V | undefined {
    const value = this.young.get(key);
    if (value !== undefined || this.old.size === 0) return value;
    const aged = this.old.get(key);
    if (aged !== undefined) {
      this.old.delete(key);
      this.set(key, aged);
    }
    return aged;
  }

  set(key: string, value: V): void {
    if (this.young.size >= this.half) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  delete(key: string): void {
    this.young.delete(key);
    this.old.delete(key);
  }
}
