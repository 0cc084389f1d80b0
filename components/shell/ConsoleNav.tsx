'use client';

import Link from 'next/link';
import { usePathname, useSearchParams } from 'next/navigation';

const ITEMS = [
  { href: '/sync-tasks', label: 'Sync Tasks' },
  { href: '/instances', label: 'Instances' },
  { href: '/audit', label: 'Audit' },
  { href: '/users', label: 'Users', adminOnly: true },
];

export function ConsoleNav({ showUsers = false }: { showUsers?: boolean }) {
  const pathname = usePathname();
  const region = useSearchParams().get('region');
  const suffix = region ? `?region=${encodeURIComponent(region)}` : '';
  return (
    <nav aria-label="Main" className="flex flex-col gap-1 p-3">
      {ITEMS.filter((item) => showUsers || !item.adminOnly).map((item) => {
        const active = pathname === item.href || pathname.startsWith(`${item.href}/`);
        return (
          <Link
            key={item.href}
            href={`${item.href}${suffix}`}
            aria-current={active ? 'page' : undefined}
            className={`rounded-md px-3 py-2 text-sm font-medium ${
              active ? 'bg-brand-50 text-brand-700' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900'
            }`}
          >
            {item.label}
          </Link>
        );
      })}
    </nav>
  );
}
