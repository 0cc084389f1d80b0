import type { ReactNode } from 'react';
import { Suspense } from 'react';
import { AbilityProvider } from '@/components/auth/AbilityProvider';
import { SessionWatcher } from '@/components/auth/SessionWatcher';
import { ConsoleNav } from '@/components/shell/ConsoleNav';
import { RegionSelector } from '@/components/shell/RegionSelector';
import { UserMenu } from '@/components/shell/UserMenu';
import { requirePageUser } from '@/lib/auth/guard';
import { can } from '@/lib/auth/roles';
import { REGIONS } from '@/lib/catalog/regions';

export default async function ConsoleLayout({ children }: { children: ReactNode }) {
  const user = await requirePageUser();
  return (
    <AbilityProvider user={{ username: user.username, role: user.role }}>
      <SessionWatcher />
      <div className="flex min-h-screen">
        <aside className="w-60 shrink-0 border-r border-slate-200 bg-white">
          <div className="flex h-14 items-center gap-2 border-b border-slate-200 px-5">
            <img src="/logo.svg" alt="" width={28} height={28} className="size-7" />
            <span className="font-semibold tracking-tight">redis-dts</span>
          </div>
          <Suspense>
            <ConsoleNav showUsers={can(user.role, 'manage-users')} />
          </Suspense>
        </aside>
        <div className="flex min-w-0 flex-1 flex-col">
          <header className="flex h-14 items-center justify-between gap-4 border-b border-slate-200 bg-white px-6">
            <span className="text-sm text-slate-500">Data Transmission Service</span>
            <div className="flex items-center gap-5">
              <Suspense>
                <RegionSelector regions={[...REGIONS]} />
              </Suspense>
              <UserMenu username={user.username} role={user.role} />
            </div>
          </header>
          <main className="flex-1 p-6">{children}</main>
        </div>
      </div>
    </AbilityProvider>
  );
}
