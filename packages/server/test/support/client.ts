/** A minimal cookie-aware client for tests, so cookie attributes are seen exactly as sent. */
export interface SetCookie {
  name: string;
  value: string;
  attributes: Record<string, string | true>;
  raw: string;
}

export function parseSetCookie(raw: string): SetCookie {
  const [pair = '', ...attrs] = raw.split(';').map((p) => p.trim());
  const eq = pair.indexOf('=');
  const attributes: Record<string, string | true> = {};
  for (const attr of attrs) {
    const i = attr.indexOf('=');
    if (i === -1) attributes[attr.toLowerCase()] = true;
    else attributes[attr.slice(0, i).toLowerCase()] = attr.slice(i + 1);
  }
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes, raw };
}

export class CookieJar {
  readonly cookies = new Map<string, SetCookie>();

  store(response: Response): SetCookie[] {
    const set = response.headers.getSetCookie().map(parseSetCookie);
    for (const cookie of set) {
      const expired =
        cookie.attributes['max-age'] === '0' ||
        (typeof cookie.attributes.expires === 'string' && Date.parse(cookie.attributes.expires) < Date.now());
      if (expired || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie);
    }
    return set;
  }

  /** Cookies a browser would send to `path` (Path prefix match only; tests use one host). */
  header(path: string): string {
    return [...this.cookies.values()]
      .filter((c) => {
        const p = typeof c.attributes.path === 'string' ? c.attributes.path : '/';
        return path === p || path.startsWith(p.endsWith('/') ? p : `${p}/`) || p === '/';
      })
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  get(name: string): string | undefined {
    return this.cookies.get(name)?.value;
  }
}

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  jar?: CookieJar;
  bearer?: string;
  csrf?: boolean;
}

export interface CallResult {
  status: number;
  headers: Headers;
  body: any;
  cookies: SetCookie[];
}

/** Calls the server; JSON in and out; with a jar, sends and stores cookies (and the CSRF header when `csrf`). */
export async function call(baseUrl: string, method: string, path: string, options: CallOptions = {}): Promise<CallResult> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.body !== undefined) headers['content-type'] ??= 'application/json';
  if (options.bearer) headers.authorization = `Bearer ${options.bearer}`;
  if (options.jar) {
    const cookie = options.jar.header(path.split('?')[0]!);
    if (cookie) headers.cookie = cookie;
    const csrf = options.jar.get('__Host-lk_csrf');
    if (options.csrf && csrf) headers['x-csrf-token'] = csrf;
  }
  const response = await fetch(baseUrl + path, {
    method,
    headers,
    body: options.body === undefined ? undefined : typeof options.body === 'string' ? options.body : JSON.stringify(options.body),
  });
  const cookies = options.jar ? options.jar.store(response) : response.headers.getSetCookie().map(parseSetCookie);
  const text = await response.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON: keep the text */
  }
  return { status: response.status, headers: response.headers, body, cookies };
}
