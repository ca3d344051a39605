import type { EndReason } from '@latchkey/browser';

/** The element with this id; the pages are rendered by the server, so a missing one is a bug. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`#${id} is missing`);
  return element as T;
}

/** Shows `text` in `element`, or hides it when text is null. */
export function say(element: HTMLElement, text: string | null): void {
  element.textContent = text ?? '';
  element.hidden = text === null;
}

/**
 * The server's clock: the page carries the server's time when it was made, so the
 * countdown and warnings follow the server even when this device's clock is off.
 */
export function serverClock(): () => number {
  const stamp = Number(document.querySelector<HTMLMetaElement>('meta[name="latchkey-now"]')?.content);
  const offset = Number.isFinite(stamp) && stamp > 0 ? stamp - Date.now() : 0;
  return () => Date.now() + offset;
}

/** What to tell a person about why they were signed out (API.md "Tokens" end reasons). */
const REASONS: Record<EndReason, string> = {
  logout: 'You signed out.',
  logout_all: 'You signed out everywhere.',
  revoked: 'Your session was revoked from another device.',
  admin: 'An administrator ended your session.',
  blocked: 'Your account has been blocked. Contact an administrator if you think this is a mistake.',
  password_changed: 'Your password was changed, so you were signed out.',
  password_reset: 'Your password was reset, so you were signed out everywhere.',
  reuse_detected:
    'Your session was ended because a sign-in token was used twice, which can mean someone copied it. Sign in again; if this keeps happening, change your password.',
  idle_timeout: 'Your session expired because it was not used for a while.',
  expired: 'Your session expired.',
};

export function reasonText(reason: EndReason | null): string {
  return reason ? REASONS[reason] : 'You are signed out.';
}

/** "24 hours", "30 days", "1 hour 30 minutes" from milliseconds (days from two days up). */
export function describeDuration(ms: number): string {
  const units: Array<[number, string]> = [
    [86_400_000, 'day'],
    [3_600_000, 'hour'],
    [60_000, 'minute'],
    [1_000, 'second'],
  ];
  const parts: string[] = [];
  let rest = Math.max(0, Math.round(ms / 1000) * 1000);
  for (const [size, name] of units) {
    if (size === 86_400_000 && ms < 2 * 86_400_000) continue;
    const n = Math.floor(rest / size);
    if (n > 0 && parts.length < 2) {
      parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
      rest -= n * size;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ') || 'less than a second';
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });

/** A date and time without seconds (the countdown is the only h:mm:ss on a page). */
export const formatDateTime = (ms: number): string => dateTime.format(ms);
export const formatTime = (ms: number): string => timeOnly.format(ms);

/** Creates an element with text and attributes (never innerHTML: the data is the user's). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) element.setAttribute(name, value);
  element.append(...children);
  return element;
}
