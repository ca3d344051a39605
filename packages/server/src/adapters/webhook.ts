import { createHmac, randomUUID } from 'node:crypto';
import type { AuditEvent, Logger } from '../ports.js';

/** The header that carries `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export const SIGNATURE_HEADER = 'x-latchkey-signature';

/**
 * Signs `<timestamp>.<body>` so a receiver can check both the sender and the freshness
 * (a captured delivery replayed later carries an old timestamp).
 */
export function signWebhookBody(secret: string, timestamp: number, body: string): string {
  return `t=${timestamp},v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

export interface WebhookOptions {
  url: string;
  secret: string;
  logger: Logger;
  /** Which audit events become deliveries. */
  accept: (event: AuditEvent) => boolean;
  /** First retry delay; each further retry doubles it (plus up to 20% jitter). */
  baseDelayMs?: number;
  maxAttempts?: number;
  timeoutMs?: number;
  /** Deliveries waiting or in flight beyond this are dropped (and logged), never buffered without bound. */
  maxPending?: number;
}

export interface WebhookNotifier {
  /** Queues a delivery and returns at once: the request path never waits for the receiver. */
  notify(event: AuditEvent): void;
  /** Resolves when nothing is waiting or in flight (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Suspicious-activity alerts POSTed as signed JSON, retried with exponential back-off. */
export function createWebhookNotifier(options: WebhookOptions): WebhookNotifier {
  const baseDelayMs = options.baseDelayMs ?? 1000;
  const maxAttempts = options.maxAttempts ?? 6;
  const timeoutMs = options.timeoutMs ?? 5000;
  const maxPending = options.maxPending ?? 1000;
  const timers = new Set<NodeJS.Timeout>();
  let pending = 0;
  let closed = false;
  let idleWaiters: Array<() => void> = [];

  const settle = () => {
    pending--;
    if (pending === 0) {
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const wake of waiters) wake();
    }
  };

  async function attempt(id: string, event: AuditEvent, body: string, n: number): Promise<void> {
    let outcome: string;
    try {
      const timestamp = Math.floor(Date.now() / 1000);
      const response = await fetch(options.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Latchkey-Webhook/1',
          [SIGNATURE_HEADER]: signWebhookBody(options.secret, timestamp, body),
          'x-latchkey-delivery': id,
          'x-latchkey-event': event.type,
        },
        body,
        // A receiver that redirects is misconfigured; following would send the alert elsewhere.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => {});
      if (response.status >= 200 && response.status < 300) return settle();
      outcome = `status ${response.status}`;
      // 4xx other than 408/429 will not improve with retries.
      if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) {
        options.logger.error({ delivery: id, type: event.type, outcome }, 'webhook delivery refused; not retrying');
        return settle();
      }
    } catch (error) {
      outcome = error instanceof Error ? error.name : 'error';
    }
    if (closed || n >= maxAttempts) {
      options.logger.error({ delivery: id, type: event.type, attempts: n, outcome }, 'webhook delivery failed');
      return settle();
    }
    const delay = baseDelayMs * 2 ** (n - 1) * (1 + Math.random() * 0.2);
    options.logger.warn(
      { delivery: id, type: event.type, attempt: n, outcome, retryInMs: Math.round(delay) },
      'webhook delivery failed; retrying',
    );
    const timer = setTimeout(() => {
      timers.delete(timer);
      void attempt(id, event, body, n + 1);
    }, delay);
    timer.unref();
    timers.add(timer);
  }

  return {
    notify(event) {
      if (closed || !options.accept(event)) return;
      if (pending >= maxPending) {
        options.logger.error({ type: event.type }, 'webhook queue full; alert dropped');
        return;
      }
      pending++;
      const id = randomUUID();
      const body = JSON.stringify({
        id,
        type: event.type,
        severity: event.severity,
        at: new Date(event.at).toISOString(),
        userId: event.userId,
        sessionId: event.sessionId,
        ip: event.ip,
        userAgent: event.userAgent,
        requestId: event.requestId,
        data: event.data,
      });
      setImmediate(() => void attempt(id, event, body, 1));
    },
    idle() {
      return pending === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    async close() {
      closed = true;
      for (const timer of timers) {
        clearTimeout(timer);
        settle();
      }
      timers.clear();
    },
  };
}
