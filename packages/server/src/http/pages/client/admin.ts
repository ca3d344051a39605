import { createClient, LatchkeyError, SessionMonitor, type SignOutDetail } from '@latchkey/browser';
import { byId, el, formatDateTime, say, serverClock } from './ui.js';

const client = createClient({ now: serverClock() });
const monitor = new SessionMonitor(client, { checkEvery: 30 });

const error = byId<HTMLParagraphElement>('error');
const usersBody = byId<HTMLTableElement>('users').tBodies[0]!;
const usersStatus = byId<HTMLParagraphElement>('users-status');
const usersMore = byId<HTMLButtonElement>('users-more');
const auditBody = byId<HTMLTableElement>('audit').tBodies[0]!;
const auditMore = byId<HTMLButtonElement>('audit-more');
const searchForm = byId<HTMLFormElement>('user-search');
const auditForm = byId<HTMLFormElement>('audit-filter');

/** A user row as GET /admin/users lists it (only the fields this page shows). */
interface AdminUser {
  id: string;
  email: string;
  name: string;
  roles: string[];
  blocked: boolean;
}

interface AuditRow {
  id: string;
  type: string;
  at: number | null;
  userId: string | null;
  sessionId: string | null;
  ip: string | null;
  data: Record<string, unknown>;
}

type Page<T> = { items: T[]; next: string | null };

let usersQuery = '';
let usersCursor: string | null = null;
let auditCursor: string | null = null;
/** Each load takes a number; an answer that arrives after a newer load started is dropped. */
let usersLoad = 0;
let auditLoad = 0;

const text = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const time = (v: unknown): number | null =>
  typeof v === 'number' ? v : typeof v === 'string' && !Number.isNaN(Date.parse(v)) ? Date.parse(v) : null;

function toUser(raw: any): AdminUser {
  const status = text(raw?.status);
  return {
    id: String(raw?.id ?? ''),
    email: text(raw?.email) ?? '',
    name: text(raw?.name) ?? '',
    roles: Array.isArray(raw?.roles) ? raw.roles.filter((r: unknown) => typeof r === 'string') : [],
    blocked: status === 'blocked' || raw?.blocked === true || Boolean(raw?.blockedAt ?? raw?.blocked_at),
  };
}

function toAudit(raw: any): AuditRow {
  return {
    id: String(raw?.id ?? ''),
    type: text(raw?.type) ?? '',
    at: time(raw?.at ?? raw?.time ?? raw?.createdAt ?? raw?.created_at),
    userId: text(raw?.userId ?? raw?.user_id),
    sessionId: text(raw?.sessionId ?? raw?.session_id),
    ip: text(raw?.ip),
    data: raw?.data && typeof raw.data === 'object' ? raw.data : {},
  };
}

/** GET an admin list; `key` names the array in the body. */
async function list<T>(path: string, key: string, map: (raw: any) => T): Promise<Page<T>> {
  const res = await client.fetch(path);
  if (!res.ok) throw await failure(res);
  const body = await res.json();
  const items = Array.isArray(body?.[key]) ? body[key] : [];
  return { items: items.map(map), next: text(body?.next ?? body?.nextCursor ?? body?.next_cursor) };
}

async function failure(res: Response): Promise<Error> {
  if (res.status === 403) return new Error('Only administrators can do this.');
  if (res.status === 404) return new Error('This server does not offer the admin API.');
  if (res.status === 401) return new Error('You are signed out.');
  const body = await res.json().catch(() => null);
  return new Error(text(body?.error_description) ?? `The server answered ${res.status}.`);
}

/** Loads the users matching the search; `done` is what to say afterwards (the last action's outcome). */
async function loadUsers(append: boolean, done: string | null = null): Promise<void> {
  const params = new URLSearchParams({ query: usersQuery });
  if (append && usersCursor) params.set('cursor', usersCursor);
  const load = ++usersLoad;
  try {
    const page = await list(`/admin/users?${params}`, 'users', toUser);
    if (load !== usersLoad) return;
    if (!append) usersBody.replaceChildren();
    usersBody.append(...page.items.map(userRow));
    usersCursor = page.next;
    usersMore.hidden = !page.next;
    if (!append) say(usersStatus, page.items.length ? done : usersQuery ? `No user matches "${usersQuery}".` : 'No users yet.');
    say(error, null);
  } catch (e) {
    say(error, (e as Error).message);
  }
}

function userRow(user: AdminUser): HTMLTableRowElement {
  const label = user.email || user.name || user.id;
  const actions = el('div', { class: 'row-actions' });
  const act = (name: string, path: string, done: string, danger = false) => {
    const button = el('button', { type: 'button', class: danger ? 'danger quiet' : 'quiet', 'aria-label': `${name} ${label}` }, name);
    button.addEventListener('click', () => void run(button, `/admin/users/${encodeURIComponent(user.id)}/${path}`, `${done} ${label}.`));
    actions.append(button);
  };
  if (user.blocked) act('Unblock', 'unblock', 'Unblocked');
  else act('Block', 'block', 'Blocked', true);
  act('Revoke sessions', 'revoke-sessions', 'Signed out every session of', true);
  const audit = el('button', { type: 'button', class: 'quiet', 'aria-label': `Audit events of ${label}` }, 'Audit');
  audit.addEventListener('click', () => {
    byId<HTMLInputElement>('audit-user').value = user.id;
    void loadAudit(false);
    byId('audit-title').scrollIntoView({ block: 'start' });
  });
  actions.append(audit);
  return el(
    'tr',
    { 'data-user': user.id },
    el('td', {}, user.name),
    el('td', {}, user.email),
    el('td', {}, user.roles.join(', ') || '—'),
    el('td', {}, el('span', { class: user.blocked ? 'badge blocked' : 'badge' }, user.blocked ? 'Blocked' : 'Active')),
    el('td', {}, actions),
  );
}

async function run(button: HTMLButtonElement, path: string, done: string): Promise<void> {
  button.disabled = true;
  try {
    const res = await client.fetch(path, { method: 'POST' });
    if (!res.ok) throw await failure(res);
    say(error, null);
    await Promise.all([loadUsers(false, done), loadAudit(false)]);
  } catch (e) {
    say(error, (e as Error).message);
    button.disabled = false;
  }
}

async function loadAudit(append: boolean): Promise<void> {
  const params = new URLSearchParams();
  const userId = byId<HTMLInputElement>('audit-user').value.trim();
  const type = byId<HTMLSelectElement>('audit-type').value;
  if (userId) params.set('user_id', userId);
  if (type) params.set('type', type);
  if (append && auditCursor) params.set('cursor', auditCursor);
  const load = ++auditLoad;
  try {
    const page = await list(`/admin/audit?${params}`, 'events', toAudit);
    if (load !== auditLoad) return;
    if (!append) auditBody.replaceChildren();
    auditBody.append(...page.items.map(auditRow));
    if (!append && page.items.length === 0) auditBody.append(el('tr', {}, el('td', { colspan: '6', class: 'muted' }, 'No events match.')));
    auditCursor = page.next;
    auditMore.hidden = !page.next;
  } catch (e) {
    say(error, (e as Error).message);
  }
}

function auditRow(event: AuditRow): HTMLTableRowElement {
  const details = Object.entries(event.data)
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(', ');
  const code = (value: string | null) => (value ? el('code', { title: value }, value.slice(0, 8)) : '—');
  return el(
    'tr',
    {},
    el('td', {}, event.at === null ? '—' : formatDateTime(event.at)),
    el('td', {}, event.type),
    el('td', {}, code(event.userId)),
    el('td', {}, code(event.sessionId)),
    el('td', {}, event.ip ?? '—'),
    el('td', { class: 'details' }, details || '—'),
  );
}

searchForm.addEventListener('submit', (event) => {
  event.preventDefault();
  usersQuery = byId<HTMLInputElement>('user-query').value.trim();
  void loadUsers(false);
});
usersMore.addEventListener('click', () => void loadUsers(true));
auditForm.addEventListener('submit', (event) => {
  event.preventDefault();
  void loadAudit(false);
});
auditForm.addEventListener('reset', () => setTimeout(() => void loadAudit(false)));
auditMore.addEventListener('click', () => void loadAudit(true));

monitor.addEventListener('signout', (e) => {
  const { reason } = (e as CustomEvent<SignOutDetail>).detail;
  location.assign(`/login?${reason ? `reason=${reason}&` : ''}return_to=%2Fadmin`);
});

async function start(): Promise<void> {
  try {
    const state = await monitor.start();
    if (!state) return;
    const signOut = el('button', { type: 'button', class: 'quiet' }, 'Sign out');
    signOut.addEventListener('click', () => void client.logout());
    byId('top-actions').replaceChildren(el('a', { href: '/account' }, 'Your account'), signOut);
    await Promise.all([loadUsers(false), loadAudit(false)]);
  } catch (e) {
    say(error, e instanceof LatchkeyError ? e.message : 'The server did not answer. Reload the page to try again.');
  }
}
void start();
