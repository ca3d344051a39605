import { layout } from './layout.js';

/**
 * API.md "Pages" /account: one <h1>, the person's name, the session type word, a live
 * h:mm:ss countdown to the absolute end, the 30- and 5-minute warnings, the device list
 * and "Sign out everywhere". The script fills it in from /auth/session and /auth/sessions.
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
</div>
</main>`,
  });
}
