import { AUDIT_SEVERITY } from '../../core/audit/audit-event.js';
import { escapeHtml, layout } from './layout.js';

/** API.md "Pages" /admin: users (search, block, unblock, revoke sessions) and the audit log with filters. */
export function adminPage(input: { now: number }): string {
  const options = Object.keys(AUDIT_SEVERITY)
    .sort()
    .map((t) => `<option value="${escapeHtml(t)}">${escapeHtml(t)}</option>`)
    .join('');
  return layout({
    title: 'Administration',
    script: 'admin.js',
    now: input.now,
    kind: 'wide',
    body: `<main id="main" tabindex="-1">
<h1>Administration</h1>
<p id="error" class="error" role="alert" hidden></p>
<section class="panel" aria-labelledby="users-title">
<h2 id="users-title">Users</h2>
<form id="user-search" class="inline" role="search">
<div class="field"><label for="user-query">Search users</label><input id="user-query" name="query" type="search" placeholder="Name or email" spellcheck="false" autocapitalize="off"></div>
<button type="submit">Search</button>
</form>
<p id="users-status" class="notice" role="status" hidden></p>
<div class="table-wrap"><table id="users">
<caption class="visually-hidden">Users</caption>
<thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Roles</th><th scope="col">Status</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
<tbody></tbody>
</table></div>
<p class="more"><button type="button" id="users-more" hidden>Show more users</button></p>
</section>
<section class="panel" aria-labelledby="audit-title">
<h2 id="audit-title">Audit log</h2>
<form id="audit-filter" class="inline" aria-label="Audit log filters">
<div class="field"><label for="audit-user">User ID</label><input id="audit-user" name="user_id" type="text" spellcheck="false" autocapitalize="off"></div>
<div class="field"><label for="audit-type">Event type</label><select id="audit-type" name="type"><option value="">Any</option>${options}</select></div>
<button type="submit">Filter</button>
<button type="reset" class="quiet">Clear</button>
</form>
<div class="table-wrap"><table id="audit">
<caption class="visually-hidden">Audit events, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">User</th><th scope="col">Session</th><th scope="col">IP</th><th scope="col">Details</th></tr></thead>
<tbody></tbody>
</table></div>
<p class="more"><button type="button" id="audit-more" hidden>Show older events</button></p>
</section>
</main>`,
  });
}
