/** Source replication offsets per shard: the persisted checkpoint and, while the engine runs, the live received offset. */
import type { LiveSample, ShardView } from '@/lib/tasks/details';
import { formatCount, formatTime } from './format';

interface Row {
  name: string;
  replid: string | null;
  checkpoint: number | null;
  received: number | null;
  db: number | null;
  updatedAt: string | null;
  /** Distributed mode: which worker runs the shard, the shard's status and its reason. */
  worker: string | null;
  status: string | null;
  message: string | null;
}

export function shardRows(shards: ShardView[], sample: LiveSample | undefined): Row[] {
  const rows: Row[] = shards.map((s) => ({
    name: s.name, replid: s.replid, checkpoint: s.offset, db: s.db, updatedAt: s.updatedAt,
    worker: s.workerId, status: s.status, message: s.message,
    // One engine link per task: its received offset belongs to the shard with the same replication ID.
    received: sample && sample.replid && (shards.length === 1 || sample.replid === s.replid) ? sample.receivedOffset : null,
  }));
  if (rows.length === 0 && sample?.replid) {
    rows.push({ name: 'source', replid: sample.replid, checkpoint: sample.checkpointOffset, received: sample.receivedOffset, db: null, updatedAt: null,
      worker: null, status: null, message: null });
  }
  return rows;
}

export function ShardOffsets({ shards, sample }: { shards: ShardView[]; sample: LiveSample | undefined }) {
  const rows = shardRows(shards, sample);
  const distributed = rows.some((r) => r.status !== null);
  if (rows.length === 0) {
    return (
      <p className="px-5 py-6 text-sm text-slate-500">
        No checkpoint yet. Offsets appear once the destination has acknowledged writes from the replication stream.
      </p>
    );
  }
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <caption className="sr-only">Source replication offsets per shard</caption>
        <thead className="bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
          <tr>
            <th scope="col" className="px-4 py-2.5 font-medium">Shard</th>
            {distributed && <th scope="col" className="px-4 py-2.5 font-medium">Worker</th>}
            <th scope="col" className="px-4 py-2.5 font-medium">Replication ID</th>
            <th scope="col" className="px-4 py-2.5 text-right font-medium">Checkpoint offset</th>
            <th scope="col" className="px-4 py-2.5 text-right font-medium">Received offset</th>
            <th scope="col" className="px-4 py-2.5 text-right font-medium">Unacknowledged</th>
            <th scope="col" className="px-4 py-2.5 text-right font-medium">DB</th>
            <th scope="col" className="px-4 py-2.5 font-medium">Saved (UTC)</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((r) => (
            <tr key={r.name}>
              <th scope="row" className="px-4 py-2.5 font-mono text-xs font-normal text-slate-800">{r.name}</th>
              {distributed && (
                <td className="px-4 py-2.5 text-xs">
                  <span className="font-mono text-slate-800">{r.worker ?? (r.status ? 'on the queue, waiting for a worker' : '—')}</span>
                  {r.status && <span className="block text-slate-500">{r.status}</span>}
                  {r.message && <span className="block max-w-[16rem] text-red-700">{r.message}</span>}
                </td>
              )}
              <td className="max-w-[13rem] break-all px-4 py-2.5 font-mono text-[11px] leading-4 text-slate-600">{r.replid ?? '—'}</td>
              <td className="px-4 py-2.5 text-right font-mono text-xs tabular-nums">{r.checkpoint === null ? '—' : formatCount(r.checkpoint)}</td>
              <td className="px-4 py-2.5 text-right font-mono text-xs tabular-nums">{r.received === null ? '—' : formatCount(r.received)}</td>
              <td className="px-4 py-2.5 text-right font-mono text-xs tabular-nums">
                {r.received !== null && r.checkpoint !== null ? `${formatCount(Math.max(0, r.received - r.checkpoint))} B` : '—'}
              </td>
              <td className="px-4 py-2.5 text-right tabular-nums">{r.db ?? '—'}</td>
              <td className="px-4 py-2.5 font-mono text-xs text-slate-500"><span className="whitespace-nowrap">{formatTime(r.updatedAt)}</span></td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
