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

/** GETs `url` as JSON within `timeoutMs`; throws HttpStatusError outside 2xx. */
export async function fetchJson(fetch: FetchLike, url: string, headers: Record<string, string>, timeoutMs: number): Promise<unknown> {
  const response = await fetch(url, {
    headers: { accept: 'application/json', ...headers },
    signal: AbortSignal.timeout(timeoutMs),
    redirect: 'error',
  });
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    throw new HttpStatusError(url, response.status);
  }
  const text = await response.text();
  if (text.length > MAX_BODY_BYTES) throw new Error(`${url} answered more than ${MAX_BODY_BYTES} bytes`);
  return JSON.parse(text) as unknown;
}
