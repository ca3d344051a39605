import { api, passwordProblem, waitText } from './api.js';
import { byId, say } from './ui.js';

const RESET_TOKEN = /^lkpr_[A-Za-z0-9_-]{43}$/;

/**
 * The token from `#token=...`. It is taken off the address bar at once (replaceState),
 * so it is not left in the history, a bookmark or a screenshot; it only ever leaves this
 * page in the body of POST /auth/password/reset.
 */
function tokenFromFragment(): string | null {
  const fragment = new URLSearchParams(location.hash.slice(1));
  const token = fragment.get('token');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  return token?.trim() || null;
}

const linkToken = tokenFromFragment();
const form = byId<HTMLFormElement>('reset-form');
const codeField = byId('code-field');
const code = byId<HTMLInputElement>('code');
const password = byId<HTMLInputElement>('new-password');
const show = byId<HTMLInputElement>('show-password');
const errorBox = byId('error');
const errorText = byId('error-text');
const errorLink = byId('error-link');
const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;

/** Shows a problem; `newLink` adds "Ask for a new link" (the token cannot work any more). */
function problem(text: string | null, newLink = false): void {
  say(errorText, text);
  errorBox.hidden = text === null;
  errorLink.hidden = !newLink;
}

codeField.hidden = linkToken !== null;

show.addEventListener('change', () => {
  password.type = show.checked ? 'text' : 'password';
});

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = linkToken ?? code.value.trim();
  if (!token) {
    problem('Enter the reset code from the email, or open the link in it.');
    code.focus();
    return;
  }
  if (!RESET_TOKEN.test(token)) {
    if (linkToken) return invalidLink();
    problem('That is not a reset code: copy the whole code from the email, starting with lkpr_.');
    code.focus();
    return;
  }
  const weak = passwordProblem(password.value);
  if (weak) {
    problem(weak);
    password.focus();
    return;
  }
  void reset(token, password.value);
});

function invalidLink(): void {
  problem('This reset link is not valid: it may have been used already, or it has expired (links work for 30 minutes).', true);
  if (linkToken) {
    form.hidden = true;
    byId('error-link').querySelector('a')!.focus();
  } else {
    code.select();
    code.focus();
  }
}

async function reset(token: string, newPassword: string): Promise<void> {
  submit.disabled = true;
  form.setAttribute('aria-busy', 'true');
  problem(null);
  const result = await api(null, 'POST', '/auth/password/reset', { token, newPassword });
  submit.disabled = false;
  form.removeAttribute('aria-busy');
  if (result.ok) {
    form.hidden = true;
    byId('back').hidden = true;
    byId('done').hidden = false;
    byId('done-title').focus();
    return;
  }
  const { code: error, description } = result.error;
  if (error === 'invalid_token' || error === 'invalid_request') return invalidLink();
  if (error === 'weak_password') {
    problem(description);
    password.select();
    password.focus();
    return;
  }
  if (error === 'rate_limited') problem(`Too many attempts. ${waitText(result.error)}`);
  else if (error === 'network_error') problem('The server did not answer. Check your connection and try again.');
  else problem('Something went wrong. Try again.');
}

submit.disabled = false;
if (document.activeElement === document.body) (linkToken ? password : code).focus();
