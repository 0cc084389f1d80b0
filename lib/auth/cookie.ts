/**
 * The session cookie: HTTP-only, SameSite=Lax, Secure with DTS_HTTPS=1, sealed (encrypted and
 * authenticated) by iron-session with the session secret. It carries only the
 * session token; the session itself lives in the database (lib/auth/sessions.ts).
 */
import { getIronSession, type SessionOptions } from 'iron-session';
import { maxSessionMs, secureCookie, sessionSecret, SESSION_COOKIE } from './config';

interface CookieData {
  /** The session token. */
  t?: string;
}

/** What iron-session needs of Next's cookie stores (cookies() in handlers and actions, NextRequest.cookies in the proxy). */
export interface CookieStore {
  get(name: string): { name: string; value: string } | undefined;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  set(...args: any[]): unknown;
}

export function cookieOptions(): SessionOptions {
  return {
    cookieName: SESSION_COOKIE,
    password: sessionSecret(),
    // iron-session sets the cookie's Max-Age to ttl - 60 s: the longest a session may live.
    ttl: Math.ceil(maxSessionMs() / 1000) + 60,
    cookieOptions: { httpOnly: true, sameSite: 'lax', secure: secureCookie(), path: '/' },
  };
}

/** The token in the request's session cookie, or undefined (no cookie, or one not sealed by us, or expired). */
export async function readSessionToken(store: CookieStore): Promise<string | undefined> {
  if (!store.get(SESSION_COOKIE)) return undefined;
  try {
    const session = await getIronSession<CookieData>(store as never, cookieOptions());
    return typeof session.t === 'string' ? session.t : undefined;
  } catch {
    return undefined;
  }
}

/** Seals `token` into the response's session cookie (route handlers and server actions). */
export async function writeSessionCookie(store: CookieStore, token: string): Promise<void> {
  const session = await getIronSession<CookieData>(store as never, cookieOptions());
  session.t = token;
  await session.save();
}

export async function clearSessionCookie(store: CookieStore): Promise<void> {
  const session = await getIronSession<CookieData>(store as never, cookieOptions());
  session.destroy();
}
