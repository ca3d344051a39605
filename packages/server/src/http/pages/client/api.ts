import { csrfFromCookie, isEndReason, type LatchkeyClient } from '@latchkey/browser';

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
 * A JSON request to this origin with the cookies and `X-CSRF-Token`. Unlike
 * `client.fetch`, only a 401 `unauthorized` (the access token lapsed, or the session
 * ended) goes to the library: a 401 `invalid_credentials` from POST /auth/password is
 * the answer itself, and must not be sent twice (each wrong guess counts).
 */
export async function api<T = unknown>(client: LatchkeyClient | null, method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const send = (): Promise<Response> => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const csrf = csrfFromCookie();
    if (csrf && method !== 'GET') headers['x-csrf-token'] = csrf;
    return fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? null : JSON.stringify(body) });
  };
  let res: Response;
  try {
    res = await send();
    if (client && res.status === 401) {
      const answer = await readBody(res);
      if (answer?.error === 'unauthorized') {
        if (isEndReason(answer.reason)) client.end(answer.reason);
        else if (await client.refresh()) res = await send();
      }
    }
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
