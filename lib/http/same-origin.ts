/**
 * Whether a browser request comes from the console's own pages (login CSRF: a
 * page on another site posting to the sign-in route). Browsers say where a
 * request comes from in `Sec-Fetch-Site` and `Origin`, which a page cannot
 * forge; both, when sent, must name this console (its host as the request
 * addressed it, as Next.js compares for server actions). A request with neither
 * comes from no browser, so from no other site's page either.
 */
type HeaderBag = { get(name: string): string | null };

export function crossSiteRefusal(headers: HeaderBag): string | undefined {
  const site = headers.get('sec-fetch-site');
  if (site !== null && site !== 'same-origin') return `a request from another site (Sec-Fetch-Site: ${site.slice(0, 40)})`;
  const origin = headers.get('origin');
  if (origin === null) return undefined;
  const host = headers.get('x-forwarded-host') ?? headers.get('host');
  let originHost: string | undefined;
  try {
    originHost = new URL(origin).host;
  } catch {
    originHost = undefined;
  }
  if (!host || originHost !== host) return `a request from another origin (${origin.slice(0, 100)})`;
  return undefined;
}
