import { layout } from './layout.js';

/**
 * /forgot-password: one labelled "Email" field and "Send reset link". Whatever the
 * address, the page then says the same thing (POST /auth/password/forgot answers 202
 * for every address, so the page cannot tell, and must not hint, whether an account exists).
 */
export function forgotPasswordPage(input: { now: number }): string {
  return layout({
    title: 'Reset your password',
    script: 'forgot-password.js',
    now: input.now,
    body: `<main id="main" class="card" tabindex="-1">
<h1>Reset your password</h1>
<p id="error" class="error" role="alert" hidden></p>
<noscript><p class="error">This page needs JavaScript, which is turned off in this browser.</p></noscript>
<form id="forgot-form" aria-describedby="forgot-hint">
<p id="forgot-hint" class="muted">Enter the email address of your account. We will send it a link to choose a new password.</p>
<div class="field"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required spellcheck="false" autocapitalize="off"></div>
<button type="submit" class="primary" disabled>Send reset link</button>
</form>
<section id="sent" hidden aria-labelledby="sent-title">
<h2 id="sent-title" tabindex="-1">Check your inbox</h2>
<p id="sent-text" role="status"></p>
<p class="muted">Nothing arrived after a few minutes? Check the spam folder, or make sure you typed the address you signed up with.</p>
<div class="actions"><button type="button" id="again" class="quiet">Use another address</button></div>
</section>
<p class="aside"><a href="/login">Back to sign in</a></p>
</main>`,
  });
}
