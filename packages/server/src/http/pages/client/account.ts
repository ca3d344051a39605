import {
  createClient,
  formatCountdown,
  LatchkeyError,
  SessionMonitor,
  storedProfile,
  type Device,
  type EndReason,
  type SessionState,
  type SignOutDetail,
  type TickDetail,
  type WarningDetail,
} from '@latchkey/browser';
import { accountSecurity } from './account-security.js';
import { byId, describeDuration, el, formatDateTime, formatTime, reasonText, say, serverClock } from './ui.js';

const client = createClient({ now: serverClock() });
// The account page asks the server every few seconds, so a device revoked elsewhere learns it at once.
const monitor = new SessionMonitor(client, { checkEvery: 5 });
// Password, two-step verification and apps; after a password change the other devices are gone.
const security = accountSecurity(client, {
  onPasswordChanged: () => {
    devicesShown = '';
    void loadDevices();
  },
});

const main = byId('main');
const error = byId<HTMLParagraphElement>('error');
const signedInView = byId('signed-in');
const signedOutView = byId('signed-out');
const countdown = byId('countdown');
const warnings = byId<HTMLUListElement>('warnings');
const devicesList = byId<HTMLUListElement>('devices');
const devicesStatus = byId<HTMLParagraphElement>('devices-status');
const logoutAll = byId<HTMLButtonElement>('logout-all');
const topActions = byId('top-actions');

/** Set when this page asked to sign out, so the person lands on the sign-in page. */
let leaving = false;
let hadSession = false;
let shownSessionId: string | null = null;
let devicesShown = '';

const profile = storedProfile();
if (profile) byId('user-name').textContent = profile.name;

function renderSession({ user, session }: SessionState): void {
  hadSession = true;
  main.removeAttribute('aria-busy');
  signedOutView.hidden = true;
  signedInView.hidden = false;
  if (user) {
    byId('user-name').textContent = user.name;
    byId('user-email').textContent = `(${user.email})`;
    renderTopActions(user.roles.includes('admin'), session.id);
  }
  const createdAt = Date.parse(session.createdAt);
  const expiresAt = Date.parse(session.expiresAt);
  byId('session-type').textContent = session.type;
  byId('session-type-hint').textContent =
    session.type === 'extended'
      ? `(kept on this device for ${describeDuration(expiresAt - createdAt)}, even after the browser is closed)`
      : `(up to ${describeDuration(expiresAt - createdAt)}, or until the browser is closed)`;
  byId('ends-at').textContent = formatDateTime(expiresAt);
  updateCountdown(expiresAt - client.now());
  if (shownSessionId !== session.id) {
    shownSessionId = session.id;
    warnings.replaceChildren();
    void loadDevices();
    security.refresh();
  }
}

let topActionsFor: string | null = null;

/** The header's links and "Sign out"; drawn once per person, so a renewal never steals focus. */
function renderTopActions(admin: boolean, sessionId: string): void {
  const key = `${sessionId}:${admin}`;
  if (topActionsFor === key) return;
  topActionsFor = key;
  const signOut = el('button', { type: 'button', class: 'quiet' }, 'Sign out');
  signOut.addEventListener('click', () => {
    leaving = true;
    signOut.disabled = true;
    client.logout().catch(() => {
      leaving = false;
      signOut.disabled = false;
      say(error, 'Could not sign out: the server did not answer. Try again.');
    });
  });
  topActions.replaceChildren(...(admin ? [el('a', { href: '/admin' }, 'Administration')] : []), signOut);
}

function updateCountdown(remaining: number): void {
  countdown.textContent = formatCountdown(remaining);
}

function addWarning({ threshold, expiresAt }: WarningDetail): void {
  const minutes = Math.round(threshold / 60);
  const span = minutes >= 1 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${threshold} seconds`;
  const item = el(
    'li',
    { class: threshold <= 300 ? 'warning urgent' : 'warning', 'data-threshold': String(threshold) },
    `Your session ends in less than ${span}, at ${formatTime(expiresAt)}. Save your work: after that you will need to sign in again.`,
  );
  warnings.append(item);
}

function showSignedOut(reason: EndReason | null): void {
  main.removeAttribute('aria-busy');
  signedInView.hidden = true;
  signedOutView.hidden = false;
  topActions.replaceChildren();
  topActionsFor = null;
  byId('signed-out-reason').textContent = reasonText(reason);
  // The sign-in page says why as well, and knows not to try the ended session again.
  if (reason) byId<HTMLAnchorElement>('sign-in-again').href = `/login?return_to=%2Faccount&reason=${encodeURIComponent(reason)}`;
}

async function loadDevices(): Promise<void> {
  let devices: Device[];
  try {
    devices = await client.sessions();
  } catch {
    return; // signed out (the signout event says why) or the server is busy: keep the list
  }
  const key = JSON.stringify(devices.map((d) => [d.id, d.lastUsedAt, d.current]));
  if (key === devicesShown) return;
  devicesShown = key;
  const focused = (document.activeElement as HTMLElement | null)?.dataset.id;
  devicesList.replaceChildren(...devices.map(renderDevice));
  if (focused) devicesList.querySelector<HTMLButtonElement>(`button[data-id="${CSS.escape(focused)}"]`)?.focus();
}

function renderDevice(device: Device): HTMLLIElement {
  const nameId = `device-${device.id}`;
  const name = el('span', { class: 'device-name', id: nameId }, device.device || 'Unknown device');
  const title = el('div', { class: 'device-title' }, name);
  if (device.current) title.append(' ', el('span', { class: 'badge' }, 'This device'));
  const kept = device.type === 'extended' ? 'kept signed in' : 'until the browser closes';
  const meta = el(
    'div',
    { class: 'device-meta muted' },
    `Signed in ${formatDateTime(Date.parse(device.createdAt))} · last active ${formatDateTime(Date.parse(device.lastUsedAt))}` +
      ` · ${device.ip || 'unknown address'} · ${kept}`,
  );
  const item = el('li', { class: device.current ? 'device current' : 'device', 'data-session': device.id }, el('div', {}, title, meta));
  if (!device.current) {
    const revoke = el('button', { type: 'button', class: 'danger quiet', 'data-id': device.id, 'aria-describedby': nameId }, 'Revoke');
    revoke.addEventListener('click', () => void revokeDevice(device, revoke));
    item.append(revoke);
  }
  return item;
}

async function revokeDevice(device: Device, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    await client.revokeSession(device.id);
    say(devicesStatus, `Signed out ${device.device || 'the device'}.`);
  } catch (e) {
    // 404: it had already ended; the list below shows what is left.
    say(
      devicesStatus,
      e instanceof LatchkeyError && e.status === 404 ? 'That device was already signed out.' : 'Could not revoke it. Try again.',
    );
  }
  devicesShown = '';
  await loadDevices();
}

logoutAll.addEventListener('click', () => {
  leaving = true;
  logoutAll.disabled = true;
  client.logoutEverywhere().catch(() => {
    leaving = false;
    logoutAll.disabled = false;
    say(error, 'Could not sign out everywhere: the server did not answer. Try again.');
  });
});

monitor.addEventListener('session', (e) => renderSession((e as CustomEvent<SessionState>).detail));
monitor.addEventListener('tick', (e) => updateCountdown((e as CustomEvent<TickDetail>).detail.remaining));
monitor.addEventListener('warning', (e) => addWarning((e as CustomEvent<WarningDetail>).detail));
monitor.addEventListener('signout', (e) => {
  const { reason } = (e as CustomEvent<SignOutDetail>).detail;
  if (leaving) location.assign(`/login?reason=${reason ?? 'logout'}`);
  // A visitor without a session goes to the sign-in page, which says why the last one ended.
  else if (!hadSession) location.replace(`/login?${reason ? `reason=${reason}&` : ''}return_to=%2Faccount`);
  else showSignedOut(reason);
});

// Keep the device list current while the page is open (a device signed in or out elsewhere).
setInterval(() => {
  if (client.state && document.visibilityState === 'visible') void loadDevices();
}, 30_000);

async function start(): Promise<void> {
  try {
    await monitor.start();
    say(error, null);
  } catch {
    say(error, 'The server did not answer. Trying again…');
    setTimeout(() => void start(), 5_000);
  }
}
void start();
