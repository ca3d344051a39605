import type { LatchkeyClient } from '@latchkey/browser';
import { api, passwordProblem, waitText, type ApiError } from './api.js';
import { byId, el, formatDateTime, say } from './ui.js';

/**
 * The account page's security sections: "Change password", "Two-step verification" and
 * "Apps with access". `refresh()` loads what they show for the signed-in person;
 * `onPasswordChanged` runs after the other sessions ended (to redraw the device list).
 */
export function accountSecurity(client: LatchkeyClient, hooks: { onPasswordChanged: () => void }): { refresh: () => void } {
  setUpPassword(client, hooks.onPasswordChanged);
  const mfa = setUpMfa(client);
  const apps = setUpApps(client);
  return {
    refresh() {
      void mfa.load();
      void apps.load();
    },
  };
}

/** Wraps a form submission: the button is disabled and the form busy while `work` runs. */
function busy(form: HTMLFormElement, submit: (event: SubmitEvent) => Promise<void> | void): void {
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const buttons = [...form.querySelectorAll('button')];
    for (const b of buttons) b.disabled = true;
    form.setAttribute('aria-busy', 'true');
    void Promise.resolve(submit(event)).finally(() => {
      for (const b of buttons) b.disabled = false;
      form.removeAttribute('aria-busy');
    });
  });
}

/** The common answers every section words the same way. */
function generic(error: ApiError): string {
  if (error.code === 'rate_limited') return `Too many attempts. ${waitText(error)}`;
  if (error.code === 'network_error') return 'The server did not answer. Check your connection and try again.';
  if (error.code === 'unauthorized') return 'You are signed out.';
  return error.description;
}

function setUpPassword(client: LatchkeyClient, onChanged: () => void): void {
  const form = byId<HTMLFormElement>('password-form');
  const current = byId<HTMLInputElement>('current-password');
  const next = byId<HTMLInputElement>('new-password');
  const status = byId('password-status');
  const error = byId('password-error');

  busy(form, async () => {
    say(status, null);
    say(error, null);
    if (!current.value) {
      say(error, 'Enter your current password.');
      current.focus();
      return;
    }
    const weak = passwordProblem(next.value);
    if (weak) {
      say(error, weak);
      next.focus();
      return;
    }
    const result = await api(client, 'POST', '/auth/password', { currentPassword: current.value, newPassword: next.value });
    if (result.ok) {
      current.value = '';
      next.value = '';
      say(status, 'Your password was changed. Every other device was signed out; this one stays signed in.');
      onChanged();
      return;
    }
    const { code, description } = result.error;
    if (code === 'invalid_credentials') {
      say(error, 'The current password is not right.');
      current.select();
      current.focus();
    } else if (code === 'weak_password') {
      say(error, description);
      next.select();
      next.focus();
    } else say(error, generic(result.error));
  });
}

function setUpMfa(client: LatchkeyClient): { load: () => Promise<void> } {
  const section = byId('mfa');
  const state = byId('mfa-state');
  const status = byId('mfa-status');
  const error = byId('mfa-error');
  const off = byId('mfa-off');
  const setup = byId('mfa-setup');
  const codes = byId('mfa-codes');
  const codeList = byId<HTMLOListElement>('mfa-code-list');
  const enableForm = byId<HTMLFormElement>('mfa-enable-form');
  const enableCode = byId<HTMLInputElement>('mfa-enable-code');
  const disableForm = byId<HTMLFormElement>('mfa-disable-form');
  const disableCode = byId<HTMLInputElement>('mfa-disable-code');
  const start = byId<HTMLButtonElement>('mfa-start');
  let enabled: boolean | null = null;

  /** Which part shows: the backup codes stay until the person says they stored them. */
  function show(view: 'off' | 'setup' | 'codes' | 'on'): void {
    off.hidden = view !== 'off';
    setup.hidden = view !== 'setup';
    codes.hidden = view !== 'codes';
    disableForm.hidden = view !== 'on';
  }

  function showState(on: boolean): void {
    enabled = on;
    section.removeAttribute('aria-busy');
    state.replaceChildren(
      'Two-step verification is ',
      el('strong', { class: on ? 'badge' : 'badge off' }, on ? 'on' : 'off'),
      on ? '.' : '. Only your password protects this account.',
    );
  }

  async function load(): Promise<void> {
    if (!codes.hidden || !setup.hidden) return; // mid-setup: leave it be
    const result = await api<{ enabled: boolean }>(client, 'GET', '/auth/mfa');
    if (!result.ok) return; // signed out (the page says why) or busy: try on the next load
    if (enabled === result.body.enabled && (!off.hidden || !disableForm.hidden)) return;
    showState(result.body.enabled);
    show(result.body.enabled ? 'on' : 'off');
  }

  start.addEventListener('click', () => {
    start.disabled = true;
    say(status, null);
    say(error, null);
    void api<{ secret: string; otpauth_url: string }>(client, 'POST', '/auth/mfa/totp/setup')
      .then((result) => {
        if (!result.ok) {
          say(error, generic(result.error));
          return;
        }
        // Groups of four are easier to type into an app by hand; apps ignore the spaces.
        byId('mfa-secret').textContent = result.body.secret.replace(/(.{4})(?=.)/g, '$1 ');
        byId('mfa-url').textContent = result.body.otpauth_url;
        byId<HTMLAnchorElement>('mfa-link').href = result.body.otpauth_url;
        enableCode.value = '';
        show('setup');
        byId('mfa-setup-title').focus();
      })
      .finally(() => {
        start.disabled = false;
      });
  });

  byId('mfa-cancel').addEventListener('click', () => {
    say(error, null);
    show('off');
    start.focus();
  });

  busy(enableForm, async () => {
    say(error, null);
    const code = enableCode.value.replace(/\s+/g, '');
    if (!/^\d{6}$/.test(code)) {
      say(error, 'Enter the 6-digit code your authenticator app shows.');
      enableCode.focus();
      return;
    }
    const result = await api<{ backup_codes: string[] }>(client, 'POST', '/auth/mfa/totp/enable', { code });
    if (!result.ok) {
      say(
        error,
        result.error.code === 'invalid_mfa_code'
          ? 'That code is not right. Check that the time on your phone is correct, and enter the code the app shows now.'
          : generic(result.error),
      );
      enableCode.select();
      enableCode.focus();
      return;
    }
    showState(true);
    codeList.replaceChildren(...result.body.backup_codes.map((c) => el('li', {}, el('code', {}, c))));
    show('codes');
    say(status, 'Two-step verification is on. From now on, signing in asks for a code from your app.');
    byId('mfa-codes-title').focus();
  });

  byId('mfa-copy').addEventListener('click', () => {
    const text = [...codeList.querySelectorAll('code')].map((c) => c.textContent).join('\n');
    navigator.clipboard?.writeText(text).then(
      () => say(status, 'The backup codes are copied. Paste them somewhere safe.'),
      () => say(status, 'Could not copy: select the codes and copy them by hand.'),
    );
  });

  byId('mfa-done').addEventListener('click', () => {
    codeList.replaceChildren();
    say(status, null);
    show('on');
    disableCode.value = '';
    byId('mfa-title').focus();
  });

  busy(disableForm, async () => {
    say(status, null);
    say(error, null);
    const code = disableCode.value.trim();
    if (!code) {
      say(error, 'Enter a code from your authenticator app, or a backup code.');
      disableCode.focus();
      return;
    }
    const result = await api(client, 'POST', '/auth/mfa/totp/disable', { code });
    if (!result.ok) {
      say(
        error,
        result.error.code === 'invalid_mfa_code' ? 'That code is not right. Enter the code your app shows now.' : generic(result.error),
      );
      disableCode.select();
      disableCode.focus();
      return;
    }
    disableCode.value = '';
    showState(false);
    show('off');
    say(status, 'Two-step verification is off.');
    start.focus();
  });

  return { load };
}

interface Consent {
  client_id: string;
  client_name: string;
  scopes: string[];
  created_at: string;
  updated_at: string;
}

/** What a scope lets an app do, in words; unknown scopes are shown as they are. */
const SCOPES: Record<string, string> = {
  openid: 'know who you are',
  profile: 'see your name',
  email: 'see your email address',
  offline_access: 'stay signed in when you are away',
};

function setUpApps(client: LatchkeyClient): { load: () => Promise<void> } {
  const list = byId<HTMLUListElement>('apps');
  const empty = byId('apps-empty');
  const status = byId('apps-status');
  let shown = '';

  async function load(): Promise<void> {
    const result = await api<{ consents: Consent[] }>(client, 'GET', '/oauth2/consents');
    if (!result.ok) return;
    const consents = result.body.consents;
    const key = JSON.stringify(consents.map((c) => [c.client_id, c.scopes, c.updated_at]));
    list.removeAttribute('aria-busy');
    if (key === shown) return;
    shown = key;
    list.replaceChildren(...consents.map(render));
    empty.hidden = consents.length > 0;
  }

  function render(consent: Consent): HTMLLIElement {
    const nameId = `app-${consent.client_id.replace(/[^A-Za-z0-9_-]/g, '_')}`;
    const can = consent.scopes.map((s) => SCOPES[s] ?? s).join(', ');
    const item = el(
      'li',
      { class: 'device', 'data-client': consent.client_id },
      el(
        'div',
        {},
        el('div', { class: 'device-title' }, el('span', { class: 'device-name', id: nameId }, consent.client_name)),
        el(
          'div',
          { class: 'device-meta muted' },
          `Can ${can || 'sign you in'} · allowed ${formatDateTime(Date.parse(consent.created_at))}`,
        ),
      ),
    );
    const remove = el('button', { type: 'button', class: 'danger quiet', 'aria-describedby': nameId }, 'Remove access');
    remove.addEventListener('click', () => void removeAccess(consent, remove));
    item.append(remove);
    return item;
  }

  async function removeAccess(consent: Consent, button: HTMLButtonElement): Promise<void> {
    button.disabled = true;
    const result = await api(client, 'DELETE', `/oauth2/consents/${encodeURIComponent(consent.client_id)}`);
    if (result.ok) say(status, `${consent.client_name} no longer has access to your account.`);
    else if (result.error.status === 404) say(status, `${consent.client_name} had no access any more.`);
    else {
      say(status, `Could not remove ${consent.client_name}'s access. ${generic(result.error)}`);
      button.disabled = false;
      return;
    }
    shown = '';
    await load();
    (list.querySelector('button') ?? byId('apps-title')).focus();
  }

  return { load };
}
