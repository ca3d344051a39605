import { createClient, csrfFromCookie, isEndReason, LatchkeyError, type LoginResult } from '@latchkey/browser';
import { byId, reasonText, say, serverClock } from './ui.js';
import { readReturnTo, safeReturnTo } from './return-to.js';

const client = createClient({ now: serverClock() });
const params = new URLSearchParams(location.search);
const reason = params.get('reason');
// OIDC prompt=login (the authorize endpoint sends it): a fresh sign-in is wanted even when one exists.
const freshSignIn = params.get('prompt') === 'login';
const target = safeReturnTo(readReturnTo(location.search), location.origin) ?? '/account';

const notice = byId<HTMLParagraphElement>('notice');
const error = byId<HTMLParagraphElement>('error');
const loginForm = byId<HTMLFormElement>('login-form');
const mfaForm = byId<HTMLFormElement>('mfa-form');
const signedIn = byId<HTMLElement>('signed-in');
const email = byId<HTMLInputElement>('email');
const password = byId<HTMLInputElement>('password');
const remember = byId<HTMLInputElement>('remember');
const code = byId<HTMLInputElement>('code');
const submit = loginForm.querySelector<HTMLButtonElement>('button[type="submit"]')!;
let mfaToken: string | null = null;

say(notice, isEndReason(reason) ? reasonText(reason) : null);

/** Turns a refusal into a sentence for the person; the server's own text is the fallback. */
function describe(e: unknown): string {
  if (!(e instanceof LatchkeyError)) return 'Something went wrong. Try again.';
  switch (e.code) {
    case 'invalid_credentials':
      return 'The email or password is incorrect.';
    case 'invalid_mfa_code':
      return 'That code is not right. Check your authenticator app and try again.';
    case 'account_blocked':
      return 'This account is blocked. Contact an administrator.';
    case 'rate_limited': {
      const minutes = Math.ceil((e.retryAfter ?? 60) / 60);
      return `Too many attempts. Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
    }
    case 'invalid_request':
      return mfaToken ? 'Enter the code from your authenticator app.' : 'Enter your email and password.';
    default:
      return e.message;
  }
}

function showStep(step: 'password' | 'mfa' | 'signed-in'): void {
  loginForm.hidden = step !== 'password';
  mfaForm.hidden = step !== 'mfa';
  signedIn.hidden = step !== 'signed-in';
}

async function attempt(form: HTMLFormElement, action: () => Promise<LoginResult>, onRefused: () => void): Promise<void> {
  const button = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;
  button.disabled = true;
  form.setAttribute('aria-busy', 'true');
  say(error, null);
  try {
    const result = await action();
    if (result.status === 'signed-in') {
      location.assign(target);
      return;
    }
    mfaToken = result.mfaToken;
    code.value = '';
    showStep('mfa');
    code.focus();
  } catch (e) {
    say(error, describe(e));
    onRefused();
  } finally {
    button.disabled = false;
    form.removeAttribute('aria-busy');
  }
}

loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!email.value.trim() || !password.value) {
    say(error, 'Enter your email and password.');
    (email.value.trim() ? password : email).focus();
    return;
  }
  void attempt(
    loginForm,
    () => client.login({ email: email.value.trim(), password: password.value, remember: remember.checked }),
    () => {
      password.value = '';
      password.focus();
    },
  );
});

mfaForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = mfaToken;
  if (!token) return showStep('password');
  void attempt(
    mfaForm,
    () => client.verifyMfa({ mfaToken: token, code: code.value.replace(/\s+/g, '') }),
    () => {
      code.select();
      code.focus();
    },
  );
});

byId('mfa-cancel').addEventListener('click', () => {
  mfaToken = null;
  password.value = '';
  say(error, null);
  showStep('password');
  password.focus();
});

byId('switch-account').addEventListener('click', () => {
  void client.logout().finally(() => {
    say(notice, null);
    showStep('password');
    email.focus();
  });
});

/**
 * Someone who is still signed in does not need the form. When the access token had
 * lapsed and a refresh brought it back, go on to `return_to` at once (the page that sent
 * us here only saw the lapsed token); otherwise ask, so a page that keeps sending a
 * signed-in person here cannot make a redirect loop.
 */
async function resume(): Promise<void> {
  // Sent here because the session ended (`reason`): its cookies are stale, nothing to resume.
  if (freshSignIn || isEndReason(reason) || !csrfFromCookie()) return;
  const res = await fetch('/auth/session', { credentials: 'same-origin' });
  if (res.status === 401 && (await client.refresh().catch(() => null))) {
    location.replace(target);
    return;
  }
  if (!res.ok) return;
  const body = await res.json();
  byId('signed-in-name').textContent = body.user?.name ?? '';
  byId<HTMLAnchorElement>('continue').href = target;
  showStep('signed-in');
}

submit.disabled = false;
void resume()
  .catch(() => undefined)
  .finally(() => {
    if (!loginForm.hidden && document.activeElement === document.body) email.focus();
  });
