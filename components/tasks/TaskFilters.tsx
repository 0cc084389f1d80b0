'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { useState } from 'react';
import { STATUS_LABEL, TASK_STATUSES } from '@/lib/tasks/status';

export function TaskFilters() {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const [search, setSearch] = useState(params.get('q') ?? '');
  // The filters in force, kept here too: while a push is in flight useSearchParams still shows
  // the previous URL, and building the next URL from it would bring back a filter just cleared.
  const [applied, setApplied] = useState({ status: params.get('status') ?? '', q: params.get('q') ?? '' });

  function update(name: 'status' | 'q', value: string) {
    const filters = { ...applied, [name]: value };
    setApplied(filters);
    const next = new URLSearchParams(params);
    for (const [k, v] of Object.entries(filters)) {
      if (v) next.set(k, v);
      else next.delete(k);
    }
    router.push(`${pathname}?${next.toString()}`);
  }

  return (
    <div className="flex flex-wrap items-center gap-3">
      <select
        aria-label="Status"
        value={applied.status}
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
