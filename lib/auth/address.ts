/**
 * The address a request came from. Next.js fills `X-Forwarded-For` from the
 * socket when the request has none; behind a reverse proxy set
 * DTS_TRUSTED_PROXY_HOPS to the number of proxies that append to it, and the
 * entry that many places from the right is used. A client talking to the
 * console directly can forge the header, which is why failed sign-ins are also
 * counted per username (lib/auth/throttle.ts).
 */
type HeaderBag = { get(name: string): string | null };

export function clientAddress(headers: HeaderBag, env: Record<string, string | undefined> = process.env): string {
  const hops = Math.max(0, Math.floor(Number(env.DTS_TRUSTED_PROXY_HOPS ?? 0)) || 0);
  const list = (headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const picked = list.length ? list[Math.max(0, list.length - 1 - hops)] : headers.get('x-real-ip') ?? 'unknown';
  return picked.replace(/^::ffff:/, '').slice(0, 64);
}
