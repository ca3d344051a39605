import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { isAlert } from '../core/alerts/suspicious-activity.js';
import type { AuditEvent, Clock, SessionStore } from '../ports.js';

export interface Metrics {
  registry: Registry;
  /** Feeds the counters from an audit event. */
  observe(event: AuditEvent): void;
  requestDuration: Histogram<'method' | 'route' | 'status'>;
}

/** Prometheus metrics for API.md "Operations"; session gauges are read from the store on scrape. */
export function createMetrics(deps: { sessions: SessionStore; clock: Clock }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'latchkey_process_' });
  const logins = new Counter({
    name: 'latchkey_logins_total',
    help: 'Login attempts by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const refreshes = new Counter({ name: 'latchkey_refreshes_total', help: 'Successful refresh-token rotations', registers: [registry] });
  const reuse = new Counter({ name: 'latchkey_refresh_token_reuse_total', help: 'Refresh-token reuse detections', registers: [registry] });
  const revocations = new Counter({
    name: 'latchkey_revocations_total',
    help: 'Sessions ended, by reason',
    labelNames: ['reason'],
    registers: [registry],
  });
  const alerts = new Counter({
    name: 'latchkey_security_alerts_total',
    help: 'Suspicious activity detected (refresh-token reuse, new-device sign-ins, credential stuffing), by type and severity',
    labelNames: ['type', 'severity'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'latchkey_session_duration_seconds',
    help: 'How long sessions lived before they ended',
    buckets: [60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400, 30 * 86400],
    registers: [registry],
  });
  let cached: { at: number; value: Promise<{ standard: number; extended: number }> } | null = null;
  const counts = () => {
    const now = deps.clock.now();
    if (!cached || now - cached.at > 1000) cached = { at: now, value: deps.sessions.countActive(now) };
    return cached.value;
  };
  new Gauge({
    name: 'latchkey_active_sessions',
    help: 'Sessions alive now, by type',
    labelNames: ['type'],
    registers: [registry],
    async collect() {
      const { standard, extended } = await counts();
      this.set({ type: 'standard' }, standard);
      this.set({ type: 'extended' }, extended);
    },
  });
  new Gauge({
    name: 'latchkey_remember_me_share',
    help: 'Share of active sessions that are extended ("keep me signed in")',
    registers: [registry],
    async collect() {
      const { standard, extended } = await counts();
      this.set(standard + extended === 0 ? 0 : extended / (standard + extended));
    },
  });
  const requestDuration = new Histogram({
    name: 'latchkey_http_request_duration_seconds',
    help: 'HTTP request latency',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  return {
    registry,
    requestDuration,
    observe(event) {
      switch (event.type) {
        case 'login_succeeded':
          logins.inc({ outcome: 'success' });
          break;
        case 'login_failed':
          logins.inc({ outcome: String(event.data.reason ?? 'failure') });
          break;
        case 'login_throttled':
          logins.inc({ outcome: 'rate_limited' });
          break;
        case 'refresh_succeeded':
          refreshes.inc();
          break;
        case 'refresh_token_reuse':
          reuse.inc();
          break;
      }
      if (isAlert(event)) alerts.inc({ type: event.type, severity: event.severity });
      const reason = event.data.reason;
      if (typeof reason === 'string' && (event.sessionId || Array.isArray(event.data.sessions)) && event.type !== 'login_failed') {
        revocations.inc({ reason }, Array.isArray(event.data.sessions) ? event.data.sessions.length : 1);
      }
      if (typeof event.data.durationSeconds === 'number') duration.observe(event.data.durationSeconds);
      if (Array.isArray(event.data.durationsSeconds)) for (const seconds of event.data.durationsSeconds) duration.observe(Number(seconds));
    },
  };
}
