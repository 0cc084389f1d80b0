import { Skeleton } from '@/components/ui/Skeleton';

export default function Loading() {
  return (
    <div className="space-y-5" aria-busy="true" aria-label="Loading the task">
      <Skeleton className="h-4 w-64" />
      <div className="space-y-3 rounded-lg border border-slate-200 bg-white p-5">
        <Skeleton className="h-7 w-72" />
        <Skeleton className="h-4 w-96" />
      </div>
      <div className="grid gap-4 lg:grid-cols-3">
        {[0, 1, 2].map((i) => <Skeleton key={i} className="h-44 w-full rounded-lg" />)}
      </div>
      <div className="grid gap-4 lg:grid-cols-3">
        {[0, 1, 2].map((i) => <Skeleton key={i} className="h-56 w-full rounded-lg" />)}
      </div>
      <Skeleton className="h-40 w-full rounded-lg" />
    </div>
  );
}
