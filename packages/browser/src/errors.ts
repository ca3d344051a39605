import { isEndReason, type EndReason } from './types.js';

/**
 * An error answer from Latchkey (`{"error", "error_description"}`, API.md "Conventions"),
 * or `network_error` when no answer came. `code` is stable; switch on it.
 *
 * @example
 * try { await client.login({ email, password }); }
 * catch (e) { if (e instanceof LatchkeyError && e.code === 'rate_limited') wait(e.retryAfter); }
 */
export class LatchkeyError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    description: string,
    /** Why the session ended, when the server said so. */
    readonly reason: EndReason | null = null,
    /** Seconds to wait, from `Retry-After` on `429 rate_limited`. */
    readonly retryAfter: number | null = null,
  ) {
    super(description);
    this.name = 'LatchkeyError';
  }
}

/** The JSON body of a response, or null when it has none (or is not JSON). */
export async function readJson(response: Response): Promise<any> {
  try {
    return await response.clone().json();
  } catch {
    return null;
  }
}

/** The `reason` of a 401 body, when it names one. */
export async function endReasonOf(response: Response): Promise<EndReason | null> {
  const body = await readJson(response);
  return isEndReason(body?.reason) ? body.reason : null;
}

export async function errorFrom(response: Response): Promise<LatchkeyError> {
  const body = await readJson(response);
  const retry = Number(response.headers.get('retry-after'));
  return new LatchkeyError(
    typeof body?.error === 'string' ? body.error : 'http_' + response.status,
    response.status,
    typeof body?.error_description === 'string' ? body.error_description : response.statusText || 'Request failed',
    isEndReason(body?.reason) ? body.reason : null,
    retry > 0 ? retry : null,
  );
}
