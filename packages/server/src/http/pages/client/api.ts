import { csrfFromCookie, type LatchkeyClient } from '@latchkey/browser';

/** An error answer (`{"error", "error_description"}`), or `network_error` when none came. */
export interface ApiError {
  code: string;
  status: number;
  description: string;
  /** Seconds, from `Retry-After` on 429. */
  retryAfter: number | null;
}

export type ApiResult<T> = { ok: true; status: number; body: T } | { ok: false; error: ApiError };

async function readBody(res: Response): Promise<any> {
  try {
    return await res.clone().json();
  } catch {
    return null;
  }
}

/**
 * A JSON request to this origin with the cookies and `X-CSRF-Token`, through
 * `client.fetch` when there is a session (it renews a lapsed access token once and signs
 * out when the server says the session ended; other 401s, such as a wrong current
 * password, come back as they are), otherwise a plain fetch.
 */
export async function api<T = unknown>(client: LatchkeyClient | null, method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const csrf = csrfFromCookie();
  if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
  const init: RequestInit = { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) };
  let res: Response;
  try {
    res = client ? await client.fetch(path, init) : await fetch(path, init);
  } catch {
    return { ok: false, error: { code: 'network_error', status: 0, description: 'The server did not answer.', retryAfter: null } };
  }
  const answer = await readBody(res);
  if (res.ok) return { ok: true, status: res.status, body: answer as T };
  const retry = Number(res.headers.get('retry-after'));
  return {
    ok: false,
    error: {
      code: typeof answer?.error === 'string' ? answer.error : `http_${res.status}`,
      status: res.status,
      description: typeof answer?.error_description === 'string' ? answer.error_description : 'The request failed.',
      retryAfter: retry > 0 ? retry : null,
    },
  };
}

/** "Try again in 3 minutes." from a 429's Retry-After. */
export function waitText(error: ApiError): string {
  const minutes = Math.ceil((error.retryAfter ?? 60) / 60);
  return `Try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`;
}

/** Mirrors core/accounts/password-policy.ts: 8 to 256 code points; the common-password check is the server's. */
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

/** What is wrong with a new password as far as this page can tell, or null. */
export function passwordProblem(password: string): string | null {
  const length = [...password.normalize('NFC')].length;
  if (length === 0) return 'Enter a new password.';
  if (length < PASSWORD_MIN) return `The new password is too short: use at least ${PASSWORD_MIN} characters.`;
  if (length > PASSWORD_MAX) return `The new password is too long: use at most ${PASSWORD_MAX} characters.`;
  return null;
}
