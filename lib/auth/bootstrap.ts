/**
 * First start: when no account exists, create `admin` with DTS_ADMIN_PASSWORD,
 * or with a generated password printed once in the server log (the console asks
 * for a new one at the first sign-in). DTS_ADMIN_PASSWORD applies only then;
 * with DTS_ADMIN_RESET=1 it also resets an existing admin's password (recovery).
 */
import type { PrismaClient } from '@/lib/db/client';
import { generatePassword, hashPassword, passwordProblem } from './password';
import { revokeUserSessions } from './sessions';

export const ADMIN_USERNAME = 'admin';

export type BootstrapResult = 'exists' | 'created-from-env' | 'created-generated' | 'reset-from-env';

type Env = Record<string, string | undefined>;

export async function ensureAdmin(prisma: PrismaClient, env: Env = process.env, log: (line: string) => void = console.log): Promise<BootstrapResult> {
  const fromEnv = env.DTS_ADMIN_PASSWORD || undefined;
  if (fromEnv !== undefined) {
    const problem = passwordProblem(fromEnv);
    if (problem) throw new Error(`DTS_ADMIN_PASSWORD is not acceptable: ${problem}`);
  }
  if (fromEnv && env.DTS_ADMIN_RESET === '1') {
    const passwordHash = await hashPassword(fromEnv);
    const user = await prisma.user.upsert({
      where: { username: ADMIN_USERNAME },
      create: { username: ADMIN_USERNAME, role: 'admin', passwordHash },
      update: { role: 'admin', passwordHash, disabled: false, mustChangePassword: false },
    });
    await revokeUserSessions(prisma, user.id);
    await prisma.auditLog.create({ data: { username: 'system', action: 'user.reset-password', targetType: 'user', targetId: user.id, targetName: ADMIN_USERNAME, detail: 'DTS_ADMIN_RESET=1 at start-up' } });
    log(`redis-dts: the password of "${ADMIN_USERNAME}" was reset from DTS_ADMIN_PASSWORD (DTS_ADMIN_RESET=1); unset DTS_ADMIN_RESET now.`);
    return 'reset-from-env';
  }
  if ((await prisma.user.count()) > 0) return 'exists';
  const password = fromEnv ?? generatePassword();
  try {
    const user = await prisma.user.create({
      data: { username: ADMIN_USERNAME, role: 'admin', passwordHash: await hashPassword(password), mustChangePassword: !fromEnv },
    });
    await prisma.auditLog.create({
      data: { username: 'system', action: 'user.create', targetType: 'user', targetId: user.id, targetName: ADMIN_USERNAME,
        detail: fromEnv ? 'first start, password from DTS_ADMIN_PASSWORD' : 'first start, generated password' },
    });
  } catch (err) {
    // Another process created it at the same moment: theirs stands.
    if ((err as { code?: string }).code === 'P2002') return 'exists';
    throw err;
  }
  if (fromEnv) {
    log(`redis-dts: created the account "${ADMIN_USERNAME}" with the password from DTS_ADMIN_PASSWORD.`);
    return 'created-from-env';
  }
  const bar = '='.repeat(72);
  log([
    bar,
    `redis-dts: first start: created the account "${ADMIN_USERNAME}" with a generated password:`,
    '',
    `    ${password}`,
    '',
    'Sign in with it at /sign-in; the console then asks you to choose a new one.',
    'This password is shown only once. (Set DTS_ADMIN_PASSWORD before the first start to choose it.)',
    bar,
  ].join('\n'));
  return 'created-generated';
}
