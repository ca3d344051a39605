import { escapeHtml, layout } from './layout.js';

/** A plain page for refusals (403), with a way back; it carries no data. */
export function errorPage(input: { now: number; title: string; message: string }): string {
  return layout({
    title: input.title,
    now: input.now,
    body: `<main id="main" class="card" tabindex="-1">
<h1>${escapeHtml(input.title)}</h1>
<p>${escapeHtml(input.message)}</p>
<p><a class="button" href="/account">Go to your account</a></p>
</main>`,
  });
}
