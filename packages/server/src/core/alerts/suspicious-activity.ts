import type { ActivityWindow, AuditEvent, AuditSink, KnownDeviceStore, Logger } from '../../ports.js';
import type { AuditType } from '../audit/audit-event.js';
import { detectCredentialStuffing } from './credential-stuffing.js';
import { detectNewDevice } from './new-device.js';

/** The audit events that are alerts: counted in metrics and sent to the webhook. */
export const SUSPICIOUS_ACTIVITY: ReadonlySet<string> = new Set<AuditType>([
  'refresh_token_reuse',
  'new_device_login',
  'credential_stuffing_suspected',
]);

export function isAlert(event: AuditEvent): boolean {
  return SUSPICIOUS_ACTIVITY.has(event.type) || event.severity === 'critical';
}

/**
 * Watches the audit stream for suspicious patterns and records what it finds as audit
 * events of their own (which then reach the log, metrics and the webhook like any other).
 * Refresh-token reuse needs no watching: the rotation rule already records it. A failing
 * detector is logged and never fails the request that produced the event.
 */
export function withSuspiciousActivityDetection(
  inner: AuditSink,
  deps: { knownDevices: KnownDeviceStore; activity: ActivityWindow; logger: Logger },
): AuditSink {
  const detectors: Partial<Record<string, (event: AuditEvent) => Promise<AuditEvent | null>>> = {
    login_succeeded: (event) => detectNewDevice(deps, event),
    login_failed: (event) => detectCredentialStuffing(deps, event),
    login_throttled: (event) => detectCredentialStuffing(deps, event),
  };
  return {
    async record(event) {
      await inner.record(event);
      const detect = detectors[event.type];
      if (!detect) return;
      try {
        const alert = await detect(event);
        if (alert) await inner.record(alert);
      } catch (error) {
        deps.logger.error({ err: error, type: event.type }, 'suspicious-activity detection failed');
      }
    },
  };
}
