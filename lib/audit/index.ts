/**
 * The audit trail: who created, started, paused, ended, released or changed
 * which task, instance or account, and when. Written by the server actions and
 * route handlers after the change succeeded; read by the Audit page and the task
 * details page. Entries keep the username and target name as they were, so they
 * outlive deleted users, tasks and instances.
 */
import { db } from '@/lib/db/client';

export type AuditTargetType = 'task' | 'instance' | 'user' | 'token';

export const AUDIT_ACTION_LABEL: Record<string, string> = {
  'task.create': 'Created task',
  'task.clone': 'Cloned task',
  'task.update': 'Changed task settings',
  'task.upgrade': 'Upgraded instance class',
  'task.test-connection': 'Tested connections',
  'task.precheck': 'Ran precheck',
  'task.precheck-ignore': 'Ignored precheck item',
  'task.verify': 'Started data verification',
  'task.verify-stop': 'Stopped data verification',
  'task.purchase': 'Purchased and started task',
  'task.start': 'Started task',
  'task.pause': 'Paused task',
  'task.end': 'Ended task',
  'task.release': 'Released task',
  'instance.create': 'Registered instance',
  'instance.update': 'Changed instance',
  'instance.delete': 'Deleted instance',
  'user.create': 'Created user',
  'user.role': 'Changed role',
  'user.disable': 'Disabled user',
  'user.enable': 'Enabled user',
  'user.delete': 'Deleted user',
  'user.reset-password': 'Reset password',
  'user.change-password': 'Changed own password',
  'user.sign-in': 'Signed in',
  'user.sign-in-failed': 'Sign-in failed',
  'user.sign-in-locked': 'Sign-in locked',
  'user.change-password-failed': 'Wrong current password',
  'user.sign-out': 'Signed out',
  'token.create': 'Created API token',
  'token.revoke': 'Revoked API token',
  'token.refused': 'Refused API token',
  'api.request': 'API request',
  'task.cutover': 'Cut over',
};

export function auditActionLabel(action: string): string {
  return AUDIT_ACTION_LABEL[action] ?? action;
}

export interface AuditInput {
  /** Who; `id` null for a name that is no account (a failed sign-in), the whole actor null for the console itself. */
  actor: { id: string | null; username: string } | null;
  action: string;
  target: { type: AuditTargetType; id?: string | null; name?: string | null };
  detail?: string;
  address?: string | null;
}

/** Appends an entry. A failure to write it is logged, not thrown: the change it records has already happened. */
export async function recordAudit(entry: AuditInput): Promise<void> {
  try {
    await db().auditLog.create({
      data: {
        userId: entry.actor?.id ?? null, username: entry.actor?.username ?? 'system', action: entry.action,
        targetType: entry.target.type, targetId: entry.target.id ?? null, targetName: entry.target.name ?? null,
        detail: (entry.detail ?? '').slice(0, 1000), address: entry.address ?? null,
      },
    });
  } catch (err) {
    console.error(`audit: could not record ${entry.action} by ${entry.actor?.username ?? 'system'}:`, err);
  }
}

export interface AuditEntry {
  id: number;
  at: string;
  username: string;
  action: string;
  actionLabel: string;
  targetType: string;
  targetId: string | null;
  targetName: string | null;
  detail: string;
  address: string | null;
}

export interface AuditFilter {
  username?: string;
  targetType?: AuditTargetType;
  targetId?: string;
  /** Entries older than this id (paging). */
  before?: number;
  limit?: number;
}

export async function listAudit(filter: AuditFilter = {}): Promise<AuditEntry[]> {
  const rows = await db().auditLog.findMany({
    where: {
      ...(filter.username ? { username: filter.username } : {}),
      ...(filter.targetType ? { targetType: filter.targetType } : {}),
      ...(filter.targetId ? { targetId: filter.targetId } : {}),
      ...(filter.before ? { id: { lt: filter.before } } : {}),
    },
    orderBy: { id: 'desc' },
    take: Math.min(Math.max(filter.limit ?? 100, 1), 500),
  });
  return rows.map((r) => ({
    id: r.id, at: r.at.toISOString(), username: r.username, action: r.action, actionLabel: auditActionLabel(r.action),
    targetType: r.targetType, targetId: r.targetId, targetName: r.targetName, detail: r.detail, address: r.address,
  }));
}

/** The usernames that appear in the trail (for the Audit page's filter), current users first. */
export async function auditUsernames(): Promise<string[]> {
  const [users, logged] = await Promise.all([
    db().user.findMany({ select: { username: true }, orderBy: { username: 'asc' } }),
    db().auditLog.findMany({ select: { username: true }, distinct: ['username'], orderBy: { username: 'asc' } }),
  ]);
  return [...new Set([...users.map((u) => u.username), ...logged.map((l) => l.username)])];
}

/** Records an entry for the request being served (its address is taken from the request headers). */
export async function audit(
  actor: { id: string; username: string },
  action: string,
  target: AuditInput['target'],
  detail = '',
): Promise<void> {
  let address: string | null = null;
  try {
    const [{ headers }, { clientAddress }] = await Promise.all([import('next/headers'), import('@/lib/auth/address')]);
    address = clientAddress(await headers());
  } catch {
    // outside a request (tests)
  }
  await recordAudit({ actor, action, target, detail, address });
}
