/**
 * The address a request came from, for the audit trail, sessions and the
 * sign-in throttle.
 *
 * `npm start` (scripts/start.mjs) serves the console itself and puts the
 * socket's peer address in PEER_HEADER (replacing any a client sent), and says
 * so in DTS_PEER_HEADER. That address is the one used — `X-Forwarded-For` is a
 * header any client can write. Behind reverse proxies, DTS_TRUSTED_PROXY_HOPS
 * says how many there are (each appending the address it saw, as nginx's
 * `$proxy_add_x_forwarded_for` does): the entry that many places from the right
 * of `X-Forwarded-For, <peer>` is used. Default 0: the header is ignored.
 *
 * A console started some other way (`next start`, `next dev`) has no peer
 * header; then the last `X-Forwarded-For` entry is used, which Next.js fills
 * from the socket only when the client sent none.
 */
type HeaderBag = { get(name: string): string | null };
type Env = Record<string, string | undefined>;

/** Set by scripts/start.mjs from the socket (the same name is written there). */
export const PEER_HEADER = 'x-dts-peer';

/** DTS_TRUSTED_PROXY_HOPS: how many reverse proxies in front append to X-Forwarded-For (default 0). */
export function trustedProxyHops(env: Env = process.env): number {
  const raw = env.DTS_TRUSTED_PROXY_HOPS;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 10) throw new Error(`DTS_TRUSTED_PROXY_HOPS must be a whole number from 0 to 10 (got ${JSON.stringify(raw)})`);
  return n;
}

export function clientAddress(headers: HeaderBag, env: Env = process.env): string {
  const hops = trustedProxyHops(env);
  const forwarded = (headers.get('x-forwarded-for') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  const peer = env.DTS_PEER_HEADER === '1' ? headers.get(PEER_HEADER) : null;
  const chain = peer ? [...forwarded, peer] : forwarded;
  // Fewer entries than proxies: the request did not come through all of them; the leftmost is the best there is.
  const picked = chain.length ? chain[Math.max(0, chain.length - 1 - hops)] : 'unknown';
  return picked.replace(/^::ffff:/, '').slice(0, 64);
}
