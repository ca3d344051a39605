import { api, waitText } from './api.js';
import { byId, say } from './ui.js';

const form = byId<HTMLFormElement>('forgot-form');
const email = byId<HTMLInputElement>('email');
const error = byId<HTMLParagraphElement>('error');
const sent = byId<HTMLElement>('sent');
const submit = form.querySelector<HTMLButtonElement>('button[type="submit"]')!;

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const address = email.value.trim();
  if (!address) {
    say(error, 'Enter the email address of your account.');
    email.focus();
    return;
  }
  void send(address);
});

async function send(address: string): Promise<void> {
  submit.disabled = true;
  form.setAttribute('aria-busy', 'true');
  say(error, null);
  const result = await api(null, 'POST', '/auth/password/forgot', { email: address });
  submit.disabled = false;
  form.removeAttribute('aria-busy');
  if (!result.ok) {
    const { code } = result.error;
    say(
      error,
      code === 'rate_limited'
        ? `Too many reset requests. ${waitText(result.error)}`
        : code === 'network_error'
          ? 'The server did not answer. Check your connection and try again.'
          : 'Something went wrong. Try again.',
    );
    email.focus();
    return;
  }
  // The same words for every address: the server does not say whether an account exists, and neither does this page.
  byId('sent-text').textContent =
    `If ${address} is the address of an account, a link to choose a new password is on its way to it. ` +
    'The link works once, for 30 minutes.';
  form.hidden = true;
  sent.hidden = false;
  byId('sent-title').focus();
}

byId('again').addEventListener('click', () => {
  sent.hidden = true;
  form.hidden = false;
  email.select();
  email.focus();
});

submit.disabled = false;
if (document.activeElement === document.body) email.focus();
