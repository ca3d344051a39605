/** The part of WHATWG `fetch` the verifier uses; pass your own to add proxies or tracing. */
export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

/** A response outside 2xx. */
export class HttpStatusError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
  ) {
    super(`${url} answered ${status}`);
    this.name = 'HttpStatusError';
  }
}

/** Documents we fetch (metadata, key sets, feed pages) are small; refuse anything huge. */
const MAX_BODY_BYTES = 1 << 20;

/**
 * An AbortSignal that fires after `timeoutMs` or when `parent` aborts. Linked by a listener
 * rather than AbortSignal.any, whose composite signal Node 20 can collect while a request
 * still waits on it (the abort is then lost). Call `dispose` when done.
 */
export function linkedSignal(timeoutMs: number | null, parent?: AbortSignal): { signal: AbortSignal; abort(): void; dispose(): void } {
  const controller = new AbortController();
  const abort = () => controller.abort();
  const timer = timeoutMs === null ? undefined : setTimeout(abort, timeoutMs);
  if (parent?.aborted) abort();
  else parent?.addEventListener('abort', abort, { once: true });
  return {
    signal: controller.signal,
    abort,
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', abort);
    },
  };
}

/** GETs `url` as JSON within `timeoutMs` (or until `signal` aborts); throws HttpStatusError outside 2xx. */
export async function fetchJson(
  fetch: FetchLike,
  url: string,
  headers: Record<string, string>,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<unknown> {
  const link = linkedSignal(timeoutMs, signal);
  try {
    const response = await fetch(url, { headers: { accept: 'application/json', ...headers }, signal: link.signal, redirect: 'error' });
    if (!response.ok) {
      await response.body?.cancel().catch(() => {});
      throw new HttpStatusError(url, response.status);
    }
    const text = await response.text();
    if (text.length > MAX_BODY_BYTES) throw new Error(`${url} answered more than ${MAX_BODY_BYTES} bytes`);
    return JSON.parse(text) as unknown;
  } finally {
    link.dispose();
  }
}
