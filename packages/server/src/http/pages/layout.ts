/** Escapes text for HTML element content and double-quoted attribute values. */
export function escapeHtml(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Content-Security-Policy of every page: scripts and styles only from this origin, never
 * inline; no frames, no plugins, forms and fetches only back to this origin.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

export interface PageInput {
  title: string;
  /** `/assets/<script>.js`, loaded as a module; none for static pages. */
  script?: string;
  /** The server's clock when the page was made, so the page can count down on the server's time. */
  now: number;
  body: string;
  /** Extra class on <body> (page width). */
  kind?: 'narrow' | 'wide';
}

/** The shell shared by every page: one stylesheet, one module script, a skip link. */
export function layout(page: PageInput): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="latchkey-now" content="${escapeHtml(page.now)}">
<title>${escapeHtml(page.title)} · Latchkey</title>
<link rel="icon" href="/assets/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/assets/pages.css">
${page.script ? `<script type="module" src="/assets/${escapeHtml(page.script)}"></script>\n` : ''}</head>
<body class="${page.kind ?? 'narrow'}">
<a class="skip" href="#main">Skip to content</a>
<header class="top"><a class="brand" href="/account"><span class="mark" aria-hidden="true"></span>Latchkey</a><span id="top-actions"></span></header>
${page.body}
</body>
</html>
`;
}

/** "24 hours", "30 days", "31 minutes", "1 hour 30 minutes" from seconds (days from two days up). */
export function describeDuration(seconds: number): string {
  const units: Array<[number, string]> = [
    [86_400, 'day'],
    [3_600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const parts: string[] = [];
  let rest = seconds;
  for (const [size, name] of units) {
    if (size === 86_400 && seconds < 2 * 86_400) continue;
    const n = Math.floor(rest / size);
    if (n > 0 && parts.length < 2) {
      parts.push(`${n} ${name}${n === 1 ? '' : 's'}`);
      rest -= n * size;
    } else if (parts.length > 0) break;
  }
  return parts.join(' ') || '0 seconds';
}
