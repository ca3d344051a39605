import { TemporarilyUnavailable } from '../core/errors.js';

/** Socket-level failures: the database host is down, unreachable or hung up on us. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs that mean "not now" rather than "wrong": connection exceptions (class 08),
 * shutdown and start-up (57P01-57P03), too many connections, statement or lock timeouts,
 * and serialization failures / deadlocks, which a retry resolves.
 */
function transientSqlState(code: string): boolean {
  return code.startsWith('08') || ['57P01', '57P02', '57P03', '53300', '57014', '55P03', '40001', '40P01'].includes(code);
}

/** node-postgres reports its own timeouts and dead connections with these messages only. */
const PG_MESSAGES = [
  'timeout exceeded when trying to connect',
  'Connection terminated',
  'Query read timeout',
  'is not queryable',
  'Cannot use a pool after calling end',
];

/** SQLite (better-sqlite3 error codes): another connection held the lock past the busy timeout. */
function sqliteLockedOut(code: string): boolean {
  return /^SQLITE_(BUSY|LOCKED)(_|$)/.test(code);
}

/** Whether a database error means "unreachable or overloaded, try again", not a bug or bad data. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error instanceof TemporarilyUnavailable) return true;
  const code = (error as { code?: unknown }).code;
  if (
    typeof code === 'string' &&
    (NETWORK_CODES.has(code) || sqliteLockedOut(code) || (/^[0-9A-Z]{5}$/.test(code) && transientSqlState(code)))
  ) {
    return true;
  }
  return PG_MESSAGES.some((m) => error.message.includes(m));
}

/** The error the core and the HTTP edge understand: `503 temporarily_unavailable`, detail kept for the log. */
export function databaseUnavailable(error: unknown): TemporarilyUnavailable {
  if (error instanceof TemporarilyUnavailable) return error;
  const detail = error instanceof Error ? `${(error as { code?: string }).code ?? error.name}: ${error.message}` : String(error);
  return new TemporarilyUnavailable(`database unavailable: ${detail}`);
}
