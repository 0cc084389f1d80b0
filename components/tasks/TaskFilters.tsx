'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { STATUS_LABEL, TASK_STATUSES } from '@/lib/tasks/status';

export function TaskFilters() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');

  function update(name: string, value: string) {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    router.push(`${pathname}?${next.toString()}`);
  }

  return (
    <div className="flex flex-wrap items-center gap-3">
      <select
        aria-label="Status"
        value={params.get('status') ?? ''}
        onChange={(e) => update('status', e.target.value)}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm shadow-sm"
      >
        <option value="">All statuses</option>
        {TASK_STATUSES.filter((s) => s !== 'Released').map((s) => (
          <option key={s} value={s}>
            {STATUS_LABEL[s]}
          </option>
        ))}
      </select>
      <form
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          update('q', search.trim());
        }}
      >
        <input
          type="search"
          aria-label="Search tasks by name or ID"
          placeholder="Search by task name or ID"
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          className="w-64 rounded-md border border-slate-300 bg-white px-3 py-1.5 text-sm shadow-sm"
        />
      </form>
    </div>
  );
}
