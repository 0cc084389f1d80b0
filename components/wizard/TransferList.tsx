'use client';
/** Source Objects ⇄ Selected Objects: DBs of the source, each selected DB mapped to a destination DB. */
import { useState } from 'react';
import { Button } from '@/components/form/fields';
import type { DbMapping } from '@/engine/precheck/types';
import { Listbox } from './Listbox';

export interface SourceDb {
  db: number;
  keys: number;
}

interface Props {
  available: SourceDb[];
  selected: DbMapping[];
  onChange: (next: DbMapping[]) => void;
  error?: string;
  /** A cluster destination has DB 0 only. */
  maxTargetDb: number;
}

function keysLabel(n: number): string {
  return `${n.toLocaleString('en-US')} ${n === 1 ? 'key' : 'keys'}`;
}

export function TransferList({ available, selected, onChange, error, maxTargetDb }: Props) {
  const [left, setLeft] = useState<Set<number>>(new Set());
  const [right, setRight] = useState<Set<number>>(new Set());
  const chosen = new Set(selected.map((s) => s.db));
  const keysOf = new Map(available.map((a) => [a.db, a.keys]));
  const remaining = available.filter((a) => !chosen.has(a.db));

  function moveRight() {
    if (!left.size) return;
    const added = [...left].filter((db) => !chosen.has(db)).map((db) => ({ db, targetDb: Math.min(db, maxTargetDb) }));
    onChange([...selected, ...added].sort((a, b) => a.db - b.db));
    setLeft(new Set());
  }

  function moveLeft() {
    if (!right.size) return;
    onChange(selected.filter((s) => !right.has(s.db)));
    setRight(new Set());
  }

  function rename(db: number, targetDb: number) {
    onChange(selected.map((s) => (s.db === db ? { ...s, targetDb } : s)));
  }

  return (
    <div className="space-y-3">
      <div className="flex flex-col gap-3 md:flex-row md:items-stretch">
        <Listbox label="Source Objects" selected={left} onSelect={setLeft} onActivate={moveRight} emptyText="Every DB is selected."
          items={remaining.map((a) => ({
            key: a.db,
            content: <><span className="font-medium">DB {a.db}</span>{' '}<span className="text-xs opacity-80">{keysLabel(a.keys)}</span></>,
          }))} />
        <div className="flex flex-row justify-center gap-2 md:flex-col">
          <Button variant="secondary" onClick={moveRight} disabled={!left.size} aria-label="Move to Selected Objects" title="Move to Selected Objects">
            <span aria-hidden>→</span>
          </Button>
          <Button variant="secondary" onClick={moveLeft} disabled={!right.size} aria-label="Remove from Selected Objects" title="Remove from Selected Objects">
            <span aria-hidden>←</span>
          </Button>
        </div>
        <Listbox label="Selected Objects" selected={right} onSelect={setRight} onActivate={moveLeft} emptyText="Select DBs on the left and move them here."
          items={selected.map((s) => ({
            key: s.db,
            content: <>
              <span className="font-medium">DB {s.db}{s.targetDb !== s.db ? ` → DB ${s.targetDb}` : ''}</span>{' '}
              <span className="text-xs opacity-80">{keysLabel(keysOf.get(s.db) ?? 0)}</span>
            </>,
          }))} />
      </div>
      <p className="text-xs text-slate-500">Ctrl/⌘-click or Shift-click to select several; double-click or Enter moves them.</p>
      {error && <p role="alert" className="text-sm font-medium text-red-600">{error}</p>}
      {selected.length > 0 && (
        <div className="rounded-md border border-slate-200 bg-slate-50 p-3">
          <h4 className="text-sm font-medium text-slate-700">DB mapping (rename)</h4>
          <p className="mb-2 text-xs text-slate-500">Each selected source DB is written to the destination DB chosen here{maxTargetDb === 0 ? ' (a cluster destination has DB 0 only)' : ''}.</p>
          <ul className="grid gap-2 sm:grid-cols-2 lg:grid-cols-3">
            {selected.map((s) => (
              <li key={s.db} className="flex items-center gap-2 text-sm">
                <label htmlFor={`map-${s.db}`} className="w-32 shrink-0 text-slate-700">Destination DB for DB {s.db}</label>
                <input id={`map-${s.db}`} type="number" min={0} max={maxTargetDb} value={Number.isNaN(s.targetDb) ? '' : s.targetDb}
                  onChange={(e) => rename(s.db, e.target.value === '' ? Number.NaN : Number(e.target.value))}
                  className="w-20 rounded-md border border-slate-300 bg-white px-2 py-1 text-sm" />
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
