import type { AuditEvent, KnownDeviceStore } from '../../ports.js';
import { auditEvent } from '../audit/audit-event.js';
import { deviceName } from '../sessions/device-name.js';
import { networkOf } from './network.js';

/**
 * A sign-in is from a new device when neither its browser family ("Firefox on Windows")
 * nor its network (/24, /64) has been seen for this user before, and the user has signed
 * in before at all. Either one alone is ordinary life (a new browser at home, the same
 * laptop in a café); both at once is what a stolen password looks like.
 */
export async function detectNewDevice(deps: { knownDevices: KnownDeviceStore }, event: AuditEvent): Promise<AuditEvent | null> {
  if (!event.userId || event.ip === null) return null;
  const device = deviceName(event.userAgent ?? '');
  const network = networkOf(event.ip);
  const seen = await deps.knownDevices.remember(event.userId, device, network, event.at);
  if (!seen.anySeen || seen.deviceSeen || seen.networkSeen) return null;
  return auditEvent('new_device_login', { ip: event.ip, userAgent: event.userAgent ?? '', requestId: event.requestId ?? '' }, event.at, {
    userId: event.userId,
    sessionId: event.sessionId,
    data: { device, network },
  });
}
