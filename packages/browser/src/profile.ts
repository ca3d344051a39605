import type { Profile, User } from './types.js';

const KEY = 'latchkey.profile';

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null; // storage disabled (privacy settings, sandboxed frame)
  }
}

/**
 * The signed-in person's `{id, name}` as last seen, for rendering a name before the
 * session check answers. Nothing else (no token, no email) is ever stored.
 */
export function storedProfile(): Profile | null {
  try {
    const value = JSON.parse(storage()?.getItem(KEY) ?? 'null');
    return typeof value?.id === 'string' && typeof value?.name === 'string' ? { id: value.id, name: value.name } : null;
  } catch {
    return null;
  }
}

export function saveProfile(user: Pick<User, 'id' | 'name'>): void {
  try {
    storage()?.setItem(KEY, JSON.stringify({ id: user.id, name: user.name } satisfies Profile));
  } catch {
    /* quota or disabled storage: the profile is only a convenience */
  }
}

export function clearProfile(): void {
  try {
    storage()?.removeItem(KEY);
  } catch {
    /* nothing to clear */
  }
}
