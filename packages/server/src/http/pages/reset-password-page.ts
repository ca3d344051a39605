import { layout } from './layout.js';
import { PASSWORD_RULES } from './password-rules.js';

/**
 * /reset-password: the page the reset mail links to (`/reset-password#token=...`). The
 * token stays in the fragment, which browsers never send to a server; the script reads
 * it, drops it from the address bar and posts it in the JSON body of
 * POST /auth/password/reset. Without one (the mail also carries the code), the page asks
 * for it.
 */
export function resetPasswordPage(input: { now: number }): string {
  return layout({
    title: 'Choose a new password',
    script: 'reset-password.js',
    now: input.now,
    body: `<main id="main" class="card" tabindex="-1">
<h1>Choose a new password</h1>
<div id="error" class="error" role="alert" hidden><p id="error-text"></p><p id="error-link" hidden><a href="/forgot-password">Ask for a new link</a></p></div>
<noscript><p class="error">This page needs JavaScript, which is turned off in this browser.</p></noscript>
<form id="reset-form" novalidate>
<div id="code-field" class="field" hidden><label for="code">Reset code</label><input id="code" name="code" type="text" autocomplete="off" spellcheck="false" autocapitalize="off" aria-describedby="code-hint"><p id="code-hint" class="hint">The code in the email we sent you, starting with <code>lkpr_</code>.</p></div>
<div class="field"><label for="new-password">New password</label><input id="new-password" name="new-password" type="password" autocomplete="new-password" required aria-describedby="new-password-hint"></div>
<p id="new-password-hint" class="hint">${PASSWORD_RULES}</p>
<div class="check"><input id="show-password" type="checkbox"><label for="show-password">Show password</label></div>
<p class="hint">Setting a new password signs you out on every device.</p>
<button type="submit" class="primary" disabled>Set new password</button>
</form>
<section id="done" hidden aria-labelledby="done-title">
<h2 id="done-title" tabindex="-1">Password changed</h2>
<p id="done-text" role="status">Your password has been changed, and every device that was signed in to your account has been signed out. Sign in with your new password.</p>
<p><a id="sign-in" class="button primary" href="/login">Sign in</a></p>
</section>
<p id="back" class="aside"><a href="/login">Back to sign in</a></p>
</main>`,
  });
}
