import { UserManager } from '@/components/users/UserManager';
import { requirePageUser } from '@/lib/auth/guard';
import { can } from '@/lib/auth/roles';
import { listUsers } from '@/lib/users/queries';
import { AccessDenied } from '@/components/auth/AccessDenied';

export const dynamic = 'force-dynamic';

/** Users (admins only): add, change role, disable, reset password, delete. */
export default async function UsersPage() {
  const user = await requirePageUser();
  if (!can(user.role, 'manage-users')) return <AccessDenied role={user.role} need="manage-users" />;
  return <UserManager users={await listUsers()} currentUserId={user.id} />;
}
