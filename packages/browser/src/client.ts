import { csrfFromCookie, isUnsafe } from './csrf.js';
import { endReasonOf, errorFrom, LatchkeyError, readJson } from './errors.js';
import { clearProfile, saveProfile } from './profile.js';
import { isEndReason, type Device, type EndReason, type Session, type SessionState, type User } from './types.js';

export interface ClientOptions {
  /** Where Latchkey is served, e.g. `https://auth.example.com`; default: this page's origin. */
  baseUrl?: string;
  /** The current time in ms on the server's clock; default `Date.now`. */
  now?: () => number;
  /** Name of the Web Lock and BroadcastChannel shared by this origin's tabs; default `latchkey`. */
  channel?: string;
}

export type LoginResult = { status: 'signed-in'; user: User; session: Session } | { status: 'mfa-required'; mfaToken: string };

export interface SignOutDetail {
  /** Why the session ended, as the server said; null when it did not say (never signed in, unknown token). */
  reason: EndReason | null;
}

type Message = { type: 'session'; state: SessionState } | { type: 'signout'; reason: EndReason | null; sessionId: string };

/** A refreshed access token this close to expiry is not worth reusing. */
const FRESH_ENOUGH_MS = 5_000;

/**
 * The cookie-transport client (API.md "Transports"): tokens stay in HttpOnly cookies, so
 * script never sees one; this adds `X-CSRF-Token` to unsafe requests, refreshes once on
 * a 401, and lets exactly one tab refresh at a time (Web Locks) while the others take
 * its result (BroadcastChannel). Emits `session` (a `CustomEvent<SessionState>`) when
 * the session is learned or renewed and `signout` (`CustomEvent<SignOutDetail>`) once
 * when it ends.
 *
 * @example
 * const client = createClient();
 * const result = await client.login({ email, password, remember: true });
 * const res = await client.fetch('/api/notes', { method: 'POST', body });
 * client.addEventListener('signout', (e) => show(e.detail.reason));
 */
export class LatchkeyClient extends EventTarget {
  readonly now: () => number;
  private readonly base: string;
  private readonly lockName: string;
  private readonly channel: BroadcastChannel | null;
  private current: SessionState | null = null;
  /** When the current access token arrived (for estimating its lifetime). */
  private receivedAt = 0;
  /** Bumped whenever the session is learned, renewed or ended, here or in another tab. */
  private version = 0;
  private ended = false;
  private csrfToken: string | null = null;
  private refreshing: Promise<SessionState | null> | null = null;

  constructor(options: ClientOptions = {}) {
    super();
    this.base = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
    const name = options.channel ?? 'latchkey';
    this.lockName = name + ':refresh';
    this.channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : null;
    this.channel?.addEventListener('message', (event: MessageEvent<Message>) => {
      const message = event.data;
      if (message?.type === 'session') this.accept(message.state, false);
      else if (message?.type === 'signout' && (!this.current || this.current.session.id === message.sessionId))
        this.end(message.reason, false);
    });
  }

  /** The session as last known, or null when signed out or not yet checked. */
  get state(): SessionState | null {
    return this.current;
  }

  /** When the current access token arrived, on the client's clock. */
  get accessReceivedAt(): number {
    return this.receivedAt;
  }

  /** POST /auth/login in cookie mode; resolves `mfa-required` when a second factor is needed. */
  async login(input: { email: string; password: string; remember?: boolean }): Promise<LoginResult> {
    const { email, password, remember = false } = input;
    return this.signIn(await this.send('POST', '/auth/login', { email, password, remember, transport: 'cookie' }));
  }

  /** POST /auth/login/mfa: the second step after `mfa-required`. */
  async verifyMfa(input: { mfaToken: string; code: string }): Promise<LoginResult> {
    return this.signIn(await this.send('POST', '/auth/login/mfa', { mfa_token: input.mfaToken, code: input.code }));
  }

  /** Ends this session (POST /auth/logout). */
  logout(): Promise<void> {
    return this.endOnServer('/auth/logout', 'logout');
  }

  /** Ends every session of this person, this one included (POST /auth/logout-all). */
  logoutEverywhere(): Promise<void> {
    return this.endOnServer('/auth/logout-all', 'logout_all');
  }

  /**
   * GET /auth/session: who is signed in, refreshing once when the access token has
   * lapsed. Null when signed out (then `signout` has fired); rejects when the server
   * could not answer.
   */
  async check(): Promise<SessionState | null> {
    let res = await this.send('GET', '/auth/session');
    if (res.status === 401) {
      const reason = await endReasonOf(res);
      if (reason || !(await this.refresh())) {
        this.end(reason);
        return null;
      }
      res = await this.send('GET', '/auth/session');
      if (res.status === 401) {
        this.end(await endReasonOf(res));
        return null;
      }
    }
    if (!res.ok) throw await errorFrom(res);
    const body = await res.json();
    this.accept({ user: body.user, session: body.session }, true);
    return this.current;
  }

  /** GET /auth/sessions: this person's devices. */
  async sessions(): Promise<Device[]> {
    const res = await this.fetch(this.base + '/auth/sessions');
    if (!res.ok) throw await errorFrom(res);
    return (await res.json()).sessions;
  }

  /** DELETE /auth/sessions/:id: signs one device out. */
  async revokeSession(id: string): Promise<void> {
    const res = await this.fetch(this.base + '/auth/sessions/' + encodeURIComponent(id), { method: 'DELETE' });
    if (!res.ok) throw await errorFrom(res);
  }

  /**
   * `fetch` for this origin's APIs: sends the cookies, adds `X-CSRF-Token` to unsafe
   * same-origin requests, and on a 401 refreshes once and retries before giving up.
   * A 401 naming why the session ended signs out at once. Other origins get a plain fetch.
   */
  async fetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    // Another origin gets a plain fetch: no cookies added, no CSRF token handed out.
    if (url.origin !== new URL(this.base || location.origin, location.href).origin) return fetch(input, init);
    const request = new Request(input, { credentials: 'include', ...init });
    const retry = request.clone();
    const res = await fetch(this.withCsrf(request));
    if (res.status !== 401) return res;
    const body = await readJson(res);
    if (isEndReason(body?.reason)) {
      this.end(body.reason);
      return res;
    }
    // Only a missing or lapsed access token is worth a refresh. A 401 about what the
    // request said (a wrong current password, a wrong code) is the answer itself, and
    // sending it again would count twice against the caller's back-off.
    if (typeof body?.error === 'string' && body.error !== 'unauthorized') return res;
    let renewed: SessionState | null;
    try {
      renewed = await this.refresh();
    } catch {
      return res; // no answer from the server: keep the session, let the caller retry
    }
    return renewed ? fetch(this.withCsrf(retry)) : res;
  }

  /**
   * POST /auth/refresh, with exactly one tab of this origin refreshing at a time: the
   * others wait for the Web Lock and take the result the holder broadcast instead of
   * presenting the same refresh token again. Resolves null when the session has ended.
   * Rejects with a `LatchkeyError` when the server could not answer (try again later).
   */
  refresh(): Promise<SessionState | null> {
    this.refreshing ??= this.refreshOnce().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async refreshOnce(): Promise<SessionState | null> {
    const seen = this.version;
    return withLock(this.lockName, async () => {
      if (this.version !== seen) {
        // Another tab renewed (or ended) the session while this one waited for the lock.
        const access = this.current ? Date.parse(this.current.session.accessTokenExpiresAt) : 0;
        if (!this.current || access - this.now() > FRESH_ENOUGH_MS) return this.current;
      }
      const res = await this.send('POST', '/auth/refresh');
      if (res.ok) {
        const body = await res.json();
        if (typeof body.csrfToken === 'string') this.csrfToken = body.csrfToken;
        this.accept({ user: null, session: body.session }, true);
        return this.current;
      }
      if (res.status === 401 || res.status === 403) {
        this.end(await endReasonOf(res));
        return null;
      }
      throw await errorFrom(res);
    });
  }

  /**
   * Forgets the session here and in the other tabs that share it, e.g. when its
   * absolute end has passed. `signout` fires once per session.
   */
  end(reason: EndReason | null, broadcast = true): void {
    const sessionId = this.current?.session.id ?? null;
    const first = sessionId !== null || !this.ended;
    this.current = null;
    this.ended = true;
    this.version++;
    this.csrfToken = null;
    clearProfile();
    // A tab that never had a session has nothing to tell the others.
    if (broadcast && sessionId) this.post({ type: 'signout', reason, sessionId });
    if (first) this.dispatchEvent(new CustomEvent<SignOutDetail>('signout', { detail: { reason } }));
  }

  private accept(state: SessionState, broadcast: boolean): void {
    const user = state.user ?? (this.current?.session.id === state.session.id ? this.current.user : null);
    this.current = { user, session: state.session };
    this.receivedAt = this.now();
    this.ended = false;
    this.version++;
    if (user) saveProfile(user);
    if (broadcast) this.post({ type: 'session', state: this.current });
    this.dispatchEvent(new CustomEvent<SessionState>('session', { detail: this.current }));
  }

  private async signIn(res: Response): Promise<LoginResult> {
    const body = await readJson(res);
    if (res.ok) {
      this.csrfToken = body.csrfToken;
      this.accept({ user: body.user, session: body.session }, true);
      return { status: 'signed-in', user: body.user, session: body.session };
    }
    if (res.status === 401 && body?.error === 'mfa_required' && typeof body.mfa_token === 'string') {
      return { status: 'mfa-required', mfaToken: body.mfa_token };
    }
    throw await errorFrom(res);
  }

  private async endOnServer(path: string, reason: EndReason): Promise<void> {
    const res = await this.fetch(this.base + path, { method: 'POST' });
    // 401: the session had already ended; either way it is over here too.
    if (res.ok || res.status === 401) this.end(res.ok ? reason : ((await endReasonOf(res)) ?? reason));
    else throw await errorFrom(res);
  }

  /** A bare request to Latchkey (JSON in, cookies and CSRF header attached). */
  private async send(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    const request = new Request(this.base + path, {
      method,
      headers,
      credentials: 'include',
      body: body === undefined ? null : JSON.stringify(body),
    });
    try {
      return await fetch(this.withCsrf(request));
    } catch {
      throw new LatchkeyError('network_error', 0, 'Could not reach the server. Check your connection and try again.');
    }
  }

  private withCsrf(request: Request): Request {
    const token = csrfFromCookie() ?? this.csrfToken;
    if (token && isUnsafe(request.method) && !request.headers.has('x-csrf-token')) request.headers.set('x-csrf-token', token);
    return request;
  }

  private post(message: Message): void {
    try {
      this.channel?.postMessage(message);
    } catch {
      /* a closed channel: nobody left to tell */
    }
  }
}

/** Runs `task` holding this origin's Web Lock `name`, so tabs take turns (falls back to no lock). */
function withLock<T>(name: string, task: () => Promise<T>): Promise<T> {
  const locks = typeof navigator === 'object' ? navigator.locks : undefined;
  return locks ? (locks.request(name, task) as Promise<T>) : task();
}

/** Creates the client for this page. Use one per page. */
export function createClient(options?: ClientOptions): LatchkeyClient {
  return new LatchkeyClient(options);
}
