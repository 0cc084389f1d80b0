import Link from 'next/link';
import { EmptyState } from '@/components/ui/EmptyState';

/** A task ID that does not exist (HTTP 404). */
export default function TaskNotFound() {
  return (
    <section aria-label="Task not found" className="rounded-lg border border-slate-200 bg-white shadow-sm">
      <EmptyState title="404: task not found"
        action={<Link href="/sync-tasks" className="rounded-md bg-brand-500 px-4 py-2 text-sm font-medium text-white shadow-sm hover:bg-brand-600">Back to Data Synchronization Tasks</Link>}>
        There is no data synchronization task with this ID. Check the ID, or find the task in the list.
      </EmptyState>
    </section>
  );
}
