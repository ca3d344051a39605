export { createClient, LatchkeyClient, type ClientOptions, type LoginResult, type SignOutDetail } from './client.js';
export { SessionMonitor, type MonitorOptions, type TickDetail, type WarningDetail } from './session-monitor.js';
export { LatchkeyError } from './errors.js';
export { csrfFromCookie, CSRF_COOKIE } from './csrf.js';
export { storedProfile } from './profile.js';
export { formatCountdown } from './format.js';
export {
  END_REASONS,
  isEndReason,
  type Device,
  type EndReason,
  type Profile,
  type Session,
  type SessionState,
  type User,
} from './types.js';
