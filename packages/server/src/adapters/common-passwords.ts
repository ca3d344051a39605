import { readFileSync } from 'node:fs';

let cached: ReadonlySet<string> | null = null;

/** The most common passwords (two published top-10,000 lists, merged), lower-cased (packages/server/data). */
export function loadCommonPasswords(): ReadonlySet<string> {
  if (!cached) {
    const text = readFileSync(new URL('../../data/common-passwords.txt', import.meta.url), 'utf8');
    cached = new Set(text.split('\n').filter((line) => line && !line.startsWith('#')));
  }
  return cached;
}
