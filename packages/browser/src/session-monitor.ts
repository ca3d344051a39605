import type { LatchkeyClient, SignOutDetail } from './client.js';
import type { SessionState } from './types.js';

export interface MonitorOptions {
  /** Seconds before the session's absolute end at which to warn; default 30 and 5 minutes. */
  warnings?: number[];
  /** Renew the access token this many seconds before it expires (less for short-lived tokens); default 60. */
  renewBefore?: number;
  /** Ask the server whether the session still stands this often, in seconds (0: never); default 60. */
  checkEvery?: number;
}

export interface TickDetail {
  /** Milliseconds until the session's absolute end. */
  remaining: number;
  expiresAt: number;
}

export interface WarningDetail extends TickDetail {
  /** The threshold crossed, in seconds (1800 for the 30-minute warning). */
  threshold: number;
}

/** A failed renewal is tried again after this long (the access token may still be good). */
const RETRY_MS = 5_000;

/**
 * Watches the session of a `LatchkeyClient`: renews the access token shortly before it
 * expires (one tab at a time, see `LatchkeyClient.refresh`), ticks every second with the
 * time left before the session's absolute end (`session.expiresAt`), warns at the
 * configured thresholds, asks the server now and then whether the session still stands,
 * and signs out at the end or as soon as the server says the session ended.
 *
 * Events: `session` (`SessionState`), `tick` (`TickDetail`), `warning` (`WarningDetail`),
 * `signout` (`SignOutDetail`, with the server's `reason`).
 *
 * @example
 * const monitor = new SessionMonitor(client);
 * monitor.addEventListener('warning', (e) => banner(`Less than ${e.detail.threshold / 60} minutes left`));
 * monitor.addEventListener('signout', (e) => showReason(e.detail.reason));
 * await monitor.start();
 */
export class SessionMonitor extends EventTarget {
  private readonly thresholds: number[];
  private readonly renewBefore: number;
  private readonly checkEvery: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running = false;
  private warned = new Set<number>();
  private warnedSession: string | null = null;
  private lastCheck = 0;
  private busyUntil = 0;
  private readonly onSession = (event: Event) => {
    this.forward('session', (event as CustomEvent<SessionState>).detail);
    this.schedule(0);
  };
  private readonly onSignOut = (event: Event) => {
    this.forward('signout', (event as CustomEvent<SignOutDetail>).detail);
  };
  private readonly onWake = () => {
    if (typeof document === 'undefined' || document.visibilityState === 'visible') this.lastCheck = 0;
    this.schedule(0);
  };

  constructor(
    readonly client: LatchkeyClient,
    options: MonitorOptions = {},
  ) {
    super();
    this.thresholds = [...(options.warnings ?? [1800, 300])].sort((a, b) => b - a);
    this.renewBefore = (options.renewBefore ?? 60) * 1000;
    this.checkEvery = (options.checkEvery ?? 60) * 1000;
  }

  /** Checks the session with the server and starts watching; resolves what it found. */
  async start(): Promise<SessionState | null> {
    if (!this.running) {
      this.running = true;
      this.client.addEventListener('session', this.onSession);
      this.client.addEventListener('signout', this.onSignOut);
      addEventListener('online', this.onWake);
      if (typeof document !== 'undefined') document.addEventListener('visibilitychange', this.onWake);
    }
    this.lastCheck = this.client.now();
    const state = await this.client.check();
    this.schedule(0);
    return state;
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.client.removeEventListener('session', this.onSession);
    this.client.removeEventListener('signout', this.onSignOut);
    removeEventListener('online', this.onWake);
    if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', this.onWake);
  }

  /** Milliseconds until the session's absolute end, or null when signed out. */
  remaining(): number | null {
    const state = this.client.state;
    return state ? Date.parse(state.session.expiresAt) - this.client.now() : null;
  }

  private schedule(delay: number): void {
    clearTimeout(this.timer);
    if (this.running) this.timer = setTimeout(() => this.tick(), delay);
  }

  private tick(): void {
    const state = this.client.state;
    if (!this.running || !state) return; // signed out: wait for a `session` event
    const { session } = state;
    const now = this.client.now();
    const expiresAt = Date.parse(session.expiresAt);
    const remaining = expiresAt - now;
    if (remaining <= 0) {
      this.client.end('expired');
      return;
    }
    this.forward('tick', { remaining, expiresAt } satisfies TickDetail);

    if (this.warnedSession !== session.id) {
      this.warnedSession = session.id;
      this.warned = new Set();
    }
    for (const threshold of this.thresholds) {
      if (remaining <= threshold * 1000 && !this.warned.has(threshold)) {
        this.warned.add(threshold);
        this.forward('warning', { remaining, expiresAt, threshold } satisfies WarningDetail);
      }
    }

    if (now >= this.busyUntil) {
      const accessExpiresAt = Date.parse(session.accessTokenExpiresAt);
      const lifetime = accessExpiresAt - this.client.accessReceivedAt;
      const lead = Math.min(this.renewBefore, Math.max(1_000, lifetime / 5));
      // An access token that already lasts until the absolute end cannot be renewed further,
      // and one that arrived (here or in another tab) less than a second ago is left alone.
      const due = now >= accessExpiresAt - lead && now - this.client.accessReceivedAt >= 1_000;
      if (accessExpiresAt < expiresAt - 1_000 && due) {
        this.busy(this.client.refresh());
      } else if (this.checkEvery > 0 && now - this.lastCheck >= this.checkEvery) {
        this.lastCheck = now;
        this.busy(this.client.check());
      }
    }
    // Tick just after each whole second of the remaining time, so a countdown never skips.
    this.schedule((remaining % 1000) + 15);
  }

  private busy(work: Promise<unknown>): void {
    this.busyUntil = Infinity;
    work.then(
      () => (this.busyUntil = 0),
      () => (this.busyUntil = this.client.now() + RETRY_MS),
    );
  }

  private forward(type: string, detail: unknown): void {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }
}
