'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import type { Region } from '@/lib/catalog/regions';

/** The region lives in the URL (?region=) so every page and link agrees on it. */
export function RegionSelector({ regions }: { regions: Region[] }) {
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const current = params.get('region') ?? regions[0].id;
  return (
    <label className="flex items-center gap-2 text-sm text-slate-600">
      Region
      <select
        aria-label="Region"
        value={current}
        onChange={(e) => {
          const next = new URLSearchParams(params);
          next.set('region', e.target.value);
          router.push(`${pathname}?${next.toString()}`);
        }}
        className="rounded-md border border-slate-300 bg-white px-2 py-1.5 text-sm text-slate-900 shadow-sm focus:border-brand-500 focus:outline-none"
      >
        {regions.map((r) => (
          <option key={r.id} value={r.id}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
}
