/** Task details: who created, started, paused, ended, released or changed this task, and when. */
import { listAudit } from '@/lib/audit';
import { TaskAuditList } from './TaskAuditList';

export async function TaskAuditTrail({ taskId }: { taskId: string }) {
  const entries = await listAudit({ targetType: 'task', targetId: taskId, limit: 200 });
  return (
    <section aria-labelledby="task-audit-title" className="mt-5 rounded-lg border border-slate-200 bg-white shadow-sm">
      <header className="border-b border-slate-100 px-5 py-3">
        <h2 id="task-audit-title" className="text-sm font-semibold text-slate-900">Audit Trail</h2>
        <p className="mt-0.5 text-xs text-slate-500">Who changed this task and when. The full trail is on the Audit page.</p>
      </header>
      <TaskAuditList taskId={taskId} initial={entries} />
    </section>
  );
}
