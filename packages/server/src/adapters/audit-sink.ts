import type { AuditEvent, AuditSink, AuditStore, Logger } from '../ports.js';

/**
 * Writes each audit event to the table and as one structured log line, and hands it to
 * any observers (metrics, alerts). The log line never carries secrets: events hold ids.
 */
export function createAuditSink(deps: { store: AuditStore; logger: Logger; observers?: Array<(event: AuditEvent) => void> }): AuditSink {
  return {
    async record(event) {
      await deps.store.append(event);
      deps.logger.info(
        {
          audit: event.type,
          severity: event.severity,
          userId: event.userId,
          sessionId: event.sessionId,
          ip: event.ip,
          userAgent: event.userAgent,
          reqId: event.requestId,
          data: event.data,
        },
        'audit',
      );
      for (const observe of deps.observers ?? []) observe(event);
    },
  };
}
