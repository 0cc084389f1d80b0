import { db } from '@/lib/db/client';
import { isRole, type Role } from '@/lib/auth/roles';

export interface UserListItem {
  id: string;
  username: string;
  role: Role;
  disabled: boolean;
  mustChangePassword: boolean;
  createdAt: string;
  lastSignInAt: string | null;
  activeSessions: number;
}

export async function listUsers(): Promise<UserListItem[]> {
  const users = await db().user.findMany({ orderBy: { username: 'asc' }, include: { _count: { select: { sessions: true } } } });
  return users.map((u) => ({
    id: u.id, username: u.username, role: isRole(u.role) ? u.role : 'viewer', disabled: u.disabled, mustChangePassword: u.mustChangePassword,
    createdAt: u.createdAt.toISOString(), lastSignInAt: u.lastSignInAt?.toISOString() ?? null, activeSessions: u._count.sessions,
  }));
}
