/**
 * Where the browser may be sent after sign-in (`next`): a page of this console,
 * never another site. The value is resolved as a URL against an origin and kept
 * only when the result has that same origin — so `//evil.example`,
 * `/\evil.example` (browsers read `\` as `/`), tabs and newlines inside `//` and
 * absolute URLs are all refused — and what is returned is the normalized path the
 * check saw, not the text it was given. Safe to import from client components.
 */
const ORIGIN = 'http://console.invalid';

export function safeNextPath(next: unknown): string | undefined {
  if (typeof next !== 'string' || !next.startsWith('/') || next.length > 2048) return undefined;
  let url: URL;
  try {
    url = new URL(next, ORIGIN);
  } catch {
    return undefined;
  }
  if (url.origin !== ORIGIN) return undefined;
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Once more on the result: a path that normalizes to `//host` would leave the site.
  if (new URL(path, ORIGIN).origin !== ORIGIN) return undefined;
  if (url.pathname === '/sign-in' || url.pathname.startsWith('/sign-in/')) return undefined;
  return path;
}
