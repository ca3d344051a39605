/**
 * Where to go after signing in: the `return_to` of the URL when it is on this origin (a
 * path, or an http(s) URL of this very origin), else null. Other origins, other schemes
 * (`javascript:`), scheme-relative `//evil` and `/\evil` (which browsers read as
 * `//evil`) are refused.
 */
export function safeReturnTo(raw: string | null, origin: string): string | null {
  if (!raw) return null;
  if (raw.startsWith('/') ? raw.startsWith('//') || raw.startsWith('/\\') : !/^https?:\/\//i.test(raw)) return null;
  // URL parsers drop tabs and newlines, so "/\t/evil" would become "//evil".
  if ([...raw].some((c) => c < ' ' || c === '\u007f')) return null;
  let url: URL;
  try {
    url = new URL(raw, origin);
  } catch {
    return null;
  }
  if (url.origin !== origin) return null;
  if (url.pathname === '/login') return null; // never back to the sign-in page itself
  return url.pathname + url.search + url.hash;
}

/**
 * The raw `return_to` of a query string. A redirect that did not encode its target
 * (`?return_to=/oauth2/authorize?client_id=a&state=b`) takes the rest of the query with
 * it, since the target's own `&`s would otherwise be cut off.
 */
export function readReturnTo(search: string): string | null {
  const query = search.startsWith('?') ? search.slice(1) : search;
  const match = /(?:^|&)return_to=/.exec(query);
  if (!match) return null;
  const rest = query.slice(match.index + match[0].length);
  const own = rest.split('&', 1)[0]!;
  if (own.includes('?')) return rest;
  try {
    return decodeURIComponent(own.replace(/\+/g, ' '));
  } catch {
    return null;
  }
}
