import { describeDuration, layout } from './layout.js';

/**
 * API.md "Pages" /login: labelled Email and Password, "Keep me signed in" (off by
 * default) with what it means, "Sign in", and the MFA step the script reveals when the
 * server asks for a code. The script reads `return_to` and `reason` from the URL.
 */
export function loginPage(input: { now: number; sessionTtl: number; rememberTtl: number }): string {
  const standard = describeDuration(input.sessionTtl);
  const extended = describeDuration(input.rememberTtl);
  return layout({
    title: 'Sign in',
    script: 'login.js',
    now: input.now,
    body: `<main id="main" class="card" tabindex="-1">
<h1>Sign in</h1>
<p id="notice" class="notice" role="status" hidden></p>
<p id="error" class="error" role="alert" hidden></p>
<noscript><p class="error">Signing in needs JavaScript, which is turned off in this browser.</p></noscript>
<form id="login-form" method="post" action="/login" aria-describedby="error">
<div class="field"><label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required spellcheck="false" autocapitalize="off"></div>
<div class="field"><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></div>
<div class="check"><input id="remember" name="remember" type="checkbox" aria-describedby="remember-hint"><label for="remember">Keep me signed in</label></div>
<p id="remember-hint" class="hint">Left off, you stay signed in for up to ${standard} and closing the browser signs you out. Turned on, this device stays signed in for ${extended}, even after the browser is closed; use it only on a device that is yours.</p>
<button type="submit" class="primary" disabled>Sign in</button>
<p class="aside"><a href="/forgot-password">Forgot your password?</a></p>
</form>
<form id="mfa-form" hidden aria-labelledby="mfa-title">
<h2 id="mfa-title">Two-step verification</h2>
<div class="field"><label for="code">Authentication code</label><input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required spellcheck="false" autocapitalize="off" aria-describedby="code-hint"></div>
<p id="code-hint" class="hint">Enter the 6-digit code from your authenticator app, or one of your backup codes.</p>
<div class="actions"><button type="submit" class="primary">Verify</button><button type="button" id="mfa-cancel" class="quiet">Start over</button></div>
</form>
<section id="signed-in" hidden aria-labelledby="signed-in-text">
<p id="signed-in-text">You are signed in as <strong id="signed-in-name"></strong>.</p>
<div class="actions"><a id="continue" class="button primary" href="/account">Continue</a><button type="button" id="switch-account" class="quiet">Use another account</button></div>
</section>
</main>`,
  });
}
