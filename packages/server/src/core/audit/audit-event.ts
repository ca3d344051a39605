import type { AuditEvent, AuditSeverity, RequestContext } from '../../ports.js';

/** Every audit event type Latchkey writes, with how loudly it should be reported. */
export const AUDIT_SEVERITY = {
  user_registered: 'info',
  login_succeeded: 'info',
  login_failed: 'info',
  login_throttled: 'warning',
  refresh_succeeded: 'info',
  refresh_token_reuse: 'critical',
  logout: 'info',
  logout_all: 'info',
  session_revoked: 'info',
  session_expired: 'info',
  password_changed: 'info',
  password_reset: 'info',
  mfa_enabled: 'info',
  mfa_disabled: 'warning',
  user_blocked: 'warning',
  user_unblocked: 'info',
  key_rotated: 'info',
  // OAuth (core/oauth)
  client_created: 'info',
  consent_granted: 'info',
  consent_revoked: 'info',
  authorization_code_reuse: 'critical',
  token_revoked: 'info',
  password_reset_requested: 'info',
  // Suspicious activity (core/alerts): each also goes to metrics and the webhook.
  new_device_login: 'warning',
  credential_stuffing_suspected: 'critical',
} as const satisfies Record<string, AuditSeverity>;

export type AuditType = keyof typeof AUDIT_SEVERITY;

export function auditEvent(
  type: AuditType,
  ctx: RequestContext | null,
  now: number,
  fields: { userId?: string | null; sessionId?: string | null; data?: Record<string, unknown> } = {},
): AuditEvent {
  return {
    type,
    severity: AUDIT_SEVERITY[type],
    userId: fields.userId ?? null,
    sessionId: fields.sessionId ?? null,
    ip: ctx?.ip ?? null,
    userAgent: ctx?.userAgent ?? null,
    requestId: ctx?.requestId ?? null,
    at: now,
    data: fields.data ?? {},
  };
}
