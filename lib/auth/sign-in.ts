/** Checking a sign-in: throttled, one message for every wrong username/password pair, failures and lockouts audited. */
import type { AuditInput } from '@/lib/audit';
import type { PrismaClient } from '@/lib/db/client';
import { verifyNothing, verifyPassword } from './password';
import { createSession, type SessionUser } from './sessions';
import { isRole, type Role } from './roles';
import { SignInThrottle, waitWords } from './throttle';

export const WRONG_CREDENTIALS = 'Wrong username or password.';

export type SignInOutcome =
  | { ok: true; token: string; user: SessionUser }
  | { ok: false; status: 400 | 401 | 403 | 429; message: string; retryAfterMs?: number };

export interface SignInInput {
  username: unknown;
  password: unknown;
  address: string;
  userAgent?: string | null;
}

export interface SignInDeps {
  throttle: SignInThrottle;
  /** Where failed sign-ins and lockouts are recorded (the audit trail; the route passes recordAudit). */
  audit?: (entry: AuditInput) => Promise<void>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function signIn(prisma: PrismaClient, input: SignInInput, deps: SignInDeps): Promise<SignInOutcome> {
  const sleep = deps.sleep ?? defaultSleep;
  const now = deps.now ?? Date.now;
  const username = typeof input.username === 'string' ? input.username.trim() : '';
  const password = typeof input.password === 'string' ? input.password : '';
  if (!username || !password || username.length > 64 || password.length > 256) {
    return { ok: false, status: 400, message: 'Enter your username and password.' };
  }
  const keys = SignInThrottle.keys(input.address, username);
  const wait = deps.throttle.retryAfter(keys, now());
  if (wait > 0) {
    return { ok: false, status: 429, retryAfterMs: wait, message: `Too many failed sign-ins. Try again in ${waitWords(wait)}.` };
  }
  if (!deps.throttle.begin(keys)) {
    return { ok: false, status: 429, retryAfterMs: 1000, message: 'Another sign-in for this account or address is being checked. Try again in a moment.' };
  }
  try {
    const user = await prisma.user.findUnique({ where: { username } });
    const valid = user ? await verifyPassword(user.passwordHash, password) : (await verifyNothing(password), false);
    if (!user || !valid) {
      const lockouts = deps.throttle.fail(keys, now());
      if (deps.audit) {
        // Recorded under the name that was typed (the account's own when it exists), from the address as trusted.
        const actor = { id: user?.id ?? null, username: user?.username ?? username.slice(0, 64) };
        const target = { type: 'user' as const, id: user?.id ?? null, name: actor.username };
        await deps.audit({ actor, action: 'user.sign-in-failed', target, address: input.address, detail: user ? 'wrong password' : 'no such user' });
        for (const l of lockouts) {
          const what = l.kind === 'user' ? `username "${actor.username}"` : `address ${input.address}`;
          await deps.audit({ actor, action: 'user.sign-in-locked', target, address: input.address,
            detail: `${what} locked for ${waitWords(l.lockMs)} after ${l.failures} failed sign-ins` });
        }
      }
      await sleep(deps.throttle.options.failureDelayMs);
      return { ok: false, status: 401, message: WRONG_CREDENTIALS };
    }
    deps.throttle.succeed(keys);
    if (user.disabled) return { ok: false, status: 403, message: 'This account is disabled. Ask an admin to enable it.' };
    if (!isRole(user.role)) return { ok: false, status: 403, message: 'This account has no valid role. Ask an admin.' };
    const token = await createSession(prisma, user.id, { address: input.address, userAgent: input.userAgent });
    await prisma.user.update({ where: { id: user.id }, data: { lastSignInAt: new Date(now()) } });
    return { ok: true, token, user: { id: user.id, username: user.username, role: user.role as Role, mustChangePassword: user.mustChangePassword } };
  } finally {
    deps.throttle.end(keys);
  }
}
