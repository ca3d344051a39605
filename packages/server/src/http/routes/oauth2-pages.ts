import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthError } from '../../core/errors.js';
import type { ClientRecord } from '../../ports.js';
import { sendError } from '../errors.js';

/** Escapes text for HTML element content and double-quoted attribute values. */
function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** No script at all; the shared stylesheet of the pages; never framed. */
const PAGE_CSP = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** The same shell as the other pages (their stylesheet, a skip link, one <main> with one <h1>). */
function layout(page: { title: string; body: string }): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>${escapeHtml(page.title)} · Latchkey</title>
<link rel="stylesheet" href="/assets/pages.css">
</head>
<body class="narrow">
<a class="skip" href="#main">Skip to content</a>
${page.body}
</body>
</html>
`;
}

/** What each scope lets an app do, in the words the consent page uses. */
const SCOPE_WORDS: Record<string, string> = {
  openid: 'Know who you are (your account id)',
  profile: 'See your name',
  email: 'See your email address',
  offline_access: 'Stay connected while you are away',
};

/**
 * The CSP of the consent page: the page's own, except that the form's answer is followed
 * by a redirect to the client, which `form-action` must allow (browsers apply it to the
 * redirect too).
 */
function consentCsp(redirectUri: string): string {
  const url = new URL(redirectUri);
  const target = url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : url.protocol;
  return PAGE_CSP.replace("form-action 'self'", `form-action 'self' ${target}`);
}

/**
 * The consent page (OIDC Core §3.1.2.4): which app, what it asks for, allow or deny.
 * The request's parameters travel in hidden fields and are validated again on the
 * answer; the form carries the session's CSRF token, and the page cannot be framed.
 */
export function consentPage(
  reply: FastifyReply,
  input: { client: ClientRecord; scopes: string[]; params: Record<string, string>; csrfToken: string },
): FastifyReply {
  const name = escapeHtml(input.client.name);
  const items = input.scopes
    .map((s) => `<li>${escapeHtml(SCOPE_WORDS[s] ?? `Use "${s}"`)} <span class="muted">(${escapeHtml(s)})</span></li>`)
    .join('\n');
  const hidden = Object.entries(input.params)
    .map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`)
    .join('\n');
  const redirectUri = input.params.redirect_uri ?? input.client.redirectUris[0] ?? '';
  const html = layout({
    title: `Allow ${input.client.name}?`,
    body: `<main id="main" class="card" tabindex="-1">
<h1>Allow ${name} to use your account?</h1>
<p id="asks">${name} is asking to:</p>
<ul aria-labelledby="asks">
${items}
</ul>
<p class="muted">You can withdraw this at any time from your account.</p>
<form method="post" action="/oauth2/consent">
<input type="hidden" name="csrf_token" value="${escapeHtml(input.csrfToken)}">
${hidden}
<div class="actions">
<button type="submit" name="decision" value="allow" class="primary">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
</main>`,
  });
  return reply
    .code(200)
    .header('content-type', 'text/html; charset=utf-8')
    .header('content-security-policy', redirectUri ? consentCsp(redirectUri) : PAGE_CSP)
    .header('x-frame-options', 'DENY')
    .send(html);
}

function wantsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  return accept.includes('text/html');
}

/**
 * An authorization error that must not be redirected (RFC 6749 §4.1.2.1): a page for a
 * browser, the contract's JSON for anything else. It never links to the client.
 */
export function errorPage(request: FastifyRequest, reply: FastifyReply, error: AuthError): FastifyReply {
  if (!wantsHtml(request)) return sendError(reply, error.status, error.code, error.description ?? error.code, error.extra);
  const html = layout({
    title: 'This sign-in request cannot continue',
    body: `<main id="main" class="card" tabindex="-1">
<h1>This sign-in request cannot continue</h1>
<p role="alert">${escapeHtml(error.description ?? error.code)}</p>
<p class="muted">Error: <code>${escapeHtml(error.code)}</code>. Go back to the app and try again, or tell its developers.</p>
</main>`,
  });
  return reply.code(error.status).header('content-type', 'text/html; charset=utf-8').header('content-security-policy', PAGE_CSP).send(html);
}
