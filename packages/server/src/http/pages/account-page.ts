import { layout } from './layout.js';
import { PASSWORD_RULES } from './password-rules.js';

/**
 * API.md "Pages" /account: one <h1>, the person's name, the session type word, a live
 * h:mm:ss countdown to the absolute end, the 30- and 5-minute warnings, the device list
 * and "Sign out everywhere". The script fills it in from /auth/session and /auth/sessions.
 * Below: changing the password, two-step verification (TOTP) and the OAuth apps the
 * person has allowed (/auth/password, /auth/mfa*, /oauth2/consents).
 */
export function accountPage(input: { now: number }): string {
  return layout({
    title: 'Your account',
    script: 'account.js',
    now: input.now,
    body: `<main id="main" tabindex="-1" aria-busy="true">
<h1>Your account</h1>
<p id="error" class="error" role="alert" hidden></p>
<section id="signed-out" class="panel" hidden aria-labelledby="signed-out-title">
<h2 id="signed-out-title">Signed out</h2>
<p id="signed-out-reason" role="alert"></p>
<p><a id="sign-in-again" class="button primary" href="/login?return_to=%2Faccount">Sign in again</a></p>
</section>
<div id="signed-in">
<p class="lead">Signed in as <strong id="user-name"></strong> <span id="user-email" class="muted"></span></p>
<ul id="warnings" class="warnings" aria-live="assertive" aria-relevant="additions"></ul>
<section class="panel" aria-labelledby="session-title">
<h2 id="session-title">This session</h2>
<dl class="facts">
<div><dt>Session type</dt><dd><span id="session-type"></span> <span id="session-type-hint" class="muted"></span></dd></div>
<div><dt id="countdown-label">Time left</dt><dd><span id="countdown" class="countdown" role="timer" aria-labelledby="countdown-label">-:--:--</span></dd></div>
<div><dt>Ends</dt><dd id="ends-at"></dd></div>
</dl>
</section>
<section class="panel" aria-labelledby="devices-title">
<h2 id="devices-title">Devices</h2>
<p class="muted">Everywhere you are signed in right now. Revoke a device you don't recognise; it is signed out at once.</p>
<p id="devices-status" class="notice" role="status" hidden></p>
<ul id="devices" class="devices"></ul>
<div class="actions"><button type="button" id="logout-all" class="danger">Sign out everywhere</button></div>
</section>
<section class="panel" aria-labelledby="password-title">
<h2 id="password-title">Change password</h2>
<p class="muted">Changing your password signs you out on every other device; this one stays signed in.</p>
<p id="password-status" class="notice" role="status" hidden></p>
<p id="password-error" class="error" role="alert" hidden></p>
<form id="password-form" class="stack" novalidate>
<div class="field"><label for="current-password">Current password</label><input id="current-password" name="current-password" type="password" autocomplete="current-password" required></div>
<div class="field"><label for="new-password">New password</label><input id="new-password" name="new-password" type="password" autocomplete="new-password" required aria-describedby="new-password-hint"><p id="new-password-hint" class="hint">${PASSWORD_RULES}</p></div>
<div class="actions"><button type="submit" class="primary">Change password</button></div>
</form>
</section>
<section class="panel" aria-labelledby="mfa-title" aria-busy="true" id="mfa">
<h2 id="mfa-title" tabindex="-1">Two-step verification</h2>
<p class="muted">When it is on, signing in asks for a code from an authenticator app on your phone as well as your password.</p>
<p id="mfa-state" class="mfa-state"><span class="muted">Checking…</span></p>
<p id="mfa-status" class="notice" role="status" hidden></p>
<p id="mfa-error" class="error" role="alert" hidden></p>
<div id="mfa-off" hidden><div class="actions"><button type="button" id="mfa-start" class="primary">Set up two-step verification</button></div></div>
<div id="mfa-setup" class="steps" hidden>
<h3 id="mfa-setup-title" tabindex="-1">Set up your authenticator app</h3>
<ol>
<li><p>Add this account to an authenticator app: open the link on the phone that has the app, or type the setup key into it.</p>
<dl class="secret">
<div><dt>Setup key</dt><dd><code id="mfa-secret" class="key"></code></dd></div>
<div><dt>Setup link</dt><dd><a id="mfa-link" class="otpauth-link" href="#">Open in authenticator app</a><code id="mfa-url" class="url"></code></dd></div>
</dl></li>
<li><p>Enter the 6-digit code the app shows to confirm.</p>
<form id="mfa-enable-form" class="stack" novalidate>
<div class="field"><label for="mfa-enable-code">Code from the app</label><input id="mfa-enable-code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" required spellcheck="false" autocapitalize="off"></div>
<div class="actions"><button type="submit" class="primary">Turn on</button><button type="button" id="mfa-cancel" class="quiet">Cancel</button></div>
</form></li>
</ol>
</div>
<div id="mfa-codes" hidden>
<h3 id="mfa-codes-title" tabindex="-1">Your backup codes</h3>
<p class="warning" id="mfa-codes-warning">Store these codes somewhere safe now, such as a password manager: they are shown only this once. Each one signs you in once if you lose your phone.</p>
<ol id="mfa-code-list" class="codes" aria-describedby="mfa-codes-warning"></ol>
<div class="actions"><button type="button" id="mfa-copy">Copy codes</button><button type="button" id="mfa-done" class="primary">I have stored them</button></div>
</div>
<form id="mfa-disable-form" class="stack" hidden novalidate>
<div class="field"><label for="mfa-disable-code">Code from the app or a backup code</label><input id="mfa-disable-code" name="code" type="text" autocomplete="one-time-code" required spellcheck="false" autocapitalize="off" aria-describedby="mfa-disable-hint"><p id="mfa-disable-hint" class="hint">Turning it off needs a current code, so that a stolen session alone cannot do it.</p></div>
<div class="actions"><button type="submit" class="danger">Turn off two-step verification</button></div>
</form>
</section>
<section class="panel" aria-labelledby="apps-title">
<h2 id="apps-title" tabindex="-1">Apps with access</h2>
<p class="muted">Apps you have allowed to use your Latchkey account. Removing an app's access signs it out at once; it has to ask you again to get back in.</p>
<p id="apps-status" class="notice" role="status" hidden></p>
<ul id="apps" class="devices" aria-busy="true"></ul>
<p id="apps-empty" class="muted" hidden>No apps have access to your account.</p>
</section>
</div>
</main>`,
  });
}
