import type { RevocationRule } from '../errors.js';
import type { RevocationEvent } from './denylist.js';
import { fetchJson, HttpStatusError, linkedSignal, type FetchLike } from './fetch.js';
import { SseParser, type ServerSentEvent } from './sse.js';

export interface FollowerOptions {
  /** `GET` pages here (`?after=`); the stream is `${url}/stream`. */
  url: string;
  fetch: FetchLike;
  /** A bearer token allowed to read the feed (scope `revocations:read`). */
  accessToken: () => string | Promise<string>;
  now: () => number;
  onEvent: (event: RevocationEvent) => void;
  onError: (error: unknown) => void;
  transport: 'sse' | 'poll';
  pollIntervalMs: number;
  /** The server sends a heartbeat every few seconds; a stream silent this long is dead. */
  heartbeatTimeoutMs: number;
  timeoutMs: number;
}

/** The stream endpoint answered with something other than an event stream: poll instead. */
class NotAnEventStream extends Error {}

const RULES = new Set<RevocationRule>(['session', 'user', 'jti']);
/** How often a Latchkey server sends a heartbeat comment on the stream. */
const SERVER_HEARTBEAT_MS = 5000;
const MAX_PAGES_PER_CATCH_UP = 10_000;

/** Validates one wire event (`at`/`until` are ISO 8601 strings, API.md "Conventions"). */
export function parseWireEvent(raw: unknown): RevocationEvent | null {
  if (typeof raw !== 'object' || raw === null) return null;
  const e = raw as Record<string, unknown>;
  if (typeof e.cursor !== 'string' || typeof e.id !== 'string' || !RULES.has(e.type as RevocationRule)) return null;
  const at = typeof e.at === 'string' ? Date.parse(e.at) : NaN;
  const until = typeof e.until === 'string' ? Date.parse(e.until) : NaN;
  if (!Number.isFinite(at) || !Number.isFinite(until)) return null;
  return { cursor: e.cursor, type: e.type as RevocationRule, id: e.id, at, until };
}

/**
 * Follows the revocation feed: catch up with `GET /revocations?after=<cursor>`, then hold
 * `GET /revocations/stream` open (Server-Sent Events, resuming with `Last-Event-ID`),
 * reconnecting with backoff and catching up from the last cursor after any outage. When
 * the server has no event stream it polls instead. Events may arrive twice (a page and
 * the stream overlap); applying one is idempotent.
 */
export class RevocationFollower {
  cursor: string | null = null;
  /** Last time (epoch ms) the feed was heard: a page, an event or a heartbeat. */
  lastContact: number;
  connected = false;
  synced = false;
  transport: 'sse' | 'poll';
  /** Settles after the first catch-up attempt, successful or not. */
  readonly firstAttempt: Promise<void>;
  /** Settles after the first successful catch-up. */
  readonly firstSync: Promise<void>;
  private settleFirstAttempt!: () => void;
  private settleFirstSync!: () => void;
  private closed = false;
  /** Aborted by close(): ends whatever request is in flight. */
  private readonly closer = new AbortController();
  /** Cancels the event stream being read, if any. */
  private stopStream: (() => void) | null = null;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(private readonly options: FollowerOptions) {
    this.lastContact = options.now();
    this.transport = options.transport;
    this.firstAttempt = new Promise((resolve) => (this.settleFirstAttempt = resolve));
    this.firstSync = new Promise((resolve) => (this.settleFirstSync = resolve));
  }

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.closed = true;
    this.closer.abort();
    this.stopStream?.();
    this.wake?.();
    await this.loop;
  }

  /**
   * True when the feed has been silent for longer than `boundMs`. An open stream is only
   * silent once a heartbeat is overdue: a bound shorter than the server's heartbeat
   * period (plus a second of slack) counts as that, or a healthy stream would fail it
   * between two beats.
   */
  silentLongerThan(boundMs: number, now: number): boolean {
    const silent = now - this.lastContact;
    if (!this.connected) return silent > boundMs;
    return silent > Math.max(boundMs, Math.min(this.options.heartbeatTimeoutMs, SERVER_HEARTBEAT_MS + 1000));
  }

  private contact(): void {
    this.lastContact = this.options.now();
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.closed) {
      try {
        await this.catchUp();
        failures = 0;
        if (this.closed) break;
        if (this.transport === 'poll') {
          await this.sleep(this.options.pollIntervalMs);
          continue;
        }
        const openedAt = this.options.now();
        await this.stream();
        // A stream the server ends at once is not a healthy one: back off as for a failure.
        if (this.options.now() - openedAt < 1000) failures++;
      } catch (error) {
        if (this.closed) break;
        if (error instanceof NotAnEventStream) {
          this.transport = 'poll';
          this.options.onError(error);
          continue;
        }
        failures++;
        this.options.onError(error);
      } finally {
        // Settled by the first catch-up, or here by its failure.
        this.settleFirstAttempt();
      }
      // Reconnect at once after a clean end, then back off: 0.25 s doubling to 1 s, jittered.
      // No longer: revocations made while the feed was away are enforced only once it is
      // back, and the promise is within a second or so (one cheap request a second per
      // follower is no load for the server, even down).
      if (!this.closed) await this.sleep(failures === 0 ? 50 : Math.min(1000, 250 * 2 ** (failures - 1)) * (0.75 + Math.random() / 2));
    }
  }

  private async headers(): Promise<Record<string, string>> {
    return { authorization: `Bearer ${await this.options.accessToken()}` };
  }

  private apply(raw: unknown): void {
    const event = parseWireEvent(raw);
    if (!event) return;
    this.options.onEvent(event);
    this.cursor = event.cursor;
  }

  /** Pages through everything after the cursor until an empty page. */
  private async catchUp(): Promise<void> {
    const headers = await this.headers();
    for (let page = 0; page < MAX_PAGES_PER_CATCH_UP && !this.closed; page++) {
      const url = this.cursor === null ? this.options.url : `${this.options.url}?after=${encodeURIComponent(this.cursor)}`;
      const body = (await fetchJson(this.options.fetch, url, headers, this.options.timeoutMs, this.closer.signal)) as {
        events?: unknown;
        next?: unknown;
      };
      if (!Array.isArray(body.events)) throw new Error(`${this.options.url} did not answer a revocation page`);
      for (const raw of body.events) this.apply(raw);
      if (typeof body.next === 'string' && body.next !== '') this.cursor = body.next;
      this.contact();
      if (body.events.length === 0) break;
    }
    this.synced = true;
    this.settleFirstSync();
    this.settleFirstAttempt();
  }

  /** Holds the event stream open until it ends, fails or goes silent. */
  private async stream(): Promise<void> {
    const headers: Record<string, string> = { ...(await this.headers()), accept: 'text/event-stream' };
    if (this.cursor !== null) headers['last-event-id'] = this.cursor;
    // Aborted by close(), by a slow opening, or by the watchdog when heartbeats stop.
    const link = linkedSignal(null, this.closer.signal);
    const opening = setTimeout(link.abort, this.options.timeoutMs);
    let watchdog: NodeJS.Timeout | undefined;
    try {
      if (this.closed) return;
      const response = await this.options.fetch(`${this.options.url}/stream`, { headers, signal: link.signal, redirect: 'error' });
      clearTimeout(opening);
      const type = response.headers.get('content-type') ?? '';
      if (
        response.status === 404 ||
        response.status === 405 ||
        response.status === 501 ||
        (response.ok && !type.startsWith('text/event-stream'))
      ) {
        await response.body?.cancel().catch(() => {});
        throw new NotAnEventStream(`${this.options.url}/stream is not an event stream (${response.status} ${type})`);
      }
      if (!response.ok || !response.body) {
        await response.body?.cancel().catch(() => {});
        throw new HttpStatusError(`${this.options.url}/stream`, response.status);
      }
      this.connected = true;
      this.contact();
      // The body is read and cancelled through its reader: an aborted signal does not
      // always reach a response body already being read (undici in Node 20).
      const reader = response.body.getReader();
      let silent = false;
      const stop = () => void reader.cancel().catch(() => {});
      this.stopStream = stop;
      watchdog = setInterval(
        () => {
          if (this.options.now() - this.lastContact > this.options.heartbeatTimeoutMs) {
            silent = true;
            stop();
          }
        },
        Math.min(1000, this.options.heartbeatTimeoutMs),
      ).unref();
      const decoder = new TextDecoder();
      const parser = new SseParser((event) => this.onServerSentEvent(event));
      for (let read = await reader.read(); !read.done && !this.closed; read = await reader.read()) {
        this.contact();
        parser.push(decoder.decode(read.value, { stream: true }));
      }
      if (silent && !this.closed) throw new Error(`${this.options.url}/stream went silent`);
    } catch (error) {
      if (this.closed) return;
      if (link.signal.aborted) throw new Error(`${this.options.url}/stream timed out or went silent`, { cause: error });
      throw error;
    } finally {
      clearTimeout(opening);
      clearInterval(watchdog);
      link.dispose();
      // Release the connection whatever ended the loop.
      this.stopStream?.();
      this.stopStream = null;
      this.connected = false;
    }
  }

  private onServerSentEvent(event: ServerSentEvent): void {
    if (event.event !== 'revocation' && event.event !== 'message') return;
    try {
      this.apply(JSON.parse(event.data));
    } catch {
      // A malformed event is skipped; its cursor is not taken, so a page will resend it.
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
