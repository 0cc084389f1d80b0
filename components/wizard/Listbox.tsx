'use client';
/**
 * A multi-select listbox (ARIA listbox pattern): click selects one, Ctrl/⌘-click
 * toggles, Shift-click selects a range; ↑/↓ move, Shift+↑/↓ extend, Space toggles,
 * Ctrl+A selects all, Enter and double-click run onActivate.
 */
import { useId, useRef, useState, type KeyboardEvent, type MouseEvent, type ReactNode } from 'react';

export interface ListboxItem {
  key: number;
  content: ReactNode;
}

interface Props {
  label: string;
  items: ListboxItem[];
  selected: ReadonlySet<number>;
  onSelect: (next: Set<number>) => void;
  onActivate?: () => void;
  emptyText: string;
}

export function Listbox({ label, items, selected, onSelect, onActivate, emptyText }: Props) {
  const id = useId();
  const [active, setActive] = useState(0);
  const anchor = useRef<number | null>(null);
  const activeIndex = Math.min(active, Math.max(items.length - 1, 0));

  function range(from: number, to: number): Set<number> {
    const [a, b] = from < to ? [from, to] : [to, from];
    return new Set(items.slice(a, b + 1).map((i) => i.key));
  }

  function click(e: MouseEvent, index: number) {
    const key = items[index].key;
    setActive(index);
    if (e.shiftKey && anchor.current !== null) {
      onSelect(range(anchor.current, index));
      return;
    }
    anchor.current = index;
    if (e.ctrlKey || e.metaKey) {
      const next = new Set(selected);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      onSelect(next);
    } else {
      onSelect(new Set([key]));
    }
  }

  function keyDown(e: KeyboardEvent) {
    if (!items.length) return;
    const move = (to: number) => {
      const index = Math.max(0, Math.min(items.length - 1, to));
      setActive(index);
      if (e.shiftKey) {
        anchor.current ??= activeIndex;
        onSelect(range(anchor.current, index));
      } else if (!e.ctrlKey && !e.metaKey) {
        anchor.current = index;
        onSelect(new Set([items[index].key]));
      }
      document.getElementById(`${id}-${items[index].key}`)?.scrollIntoView({ block: 'nearest' });
    };
    if (e.key === 'ArrowDown') { e.preventDefault(); move(activeIndex + 1); }
    else if (e.key === 'ArrowUp') { e.preventDefault(); move(activeIndex - 1); }
    else if (e.key === 'Home') { e.preventDefault(); move(0); }
    else if (e.key === 'End') { e.preventDefault(); move(items.length - 1); }
    else if (e.key === ' ') {
      e.preventDefault();
      const key = items[activeIndex].key;
      const next = new Set(selected);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      onSelect(next);
    } else if ((e.ctrlKey || e.metaKey) && e.key.toLowerCase() === 'a') {
      e.preventDefault();
      onSelect(new Set(items.map((i) => i.key)));
    } else if (e.key === 'Enter') {
      e.preventDefault();
      onActivate?.();
    }
  }

  return (
    <div className="flex min-w-0 flex-1 flex-col">
      <span id={`${id}-label`} className="mb-1.5 text-sm font-medium text-slate-700">{label}</span>
      <div role="listbox" aria-labelledby={`${id}-label`} aria-multiselectable="true" tabIndex={0} onKeyDown={keyDown}
        aria-activedescendant={items.length ? `${id}-${items[activeIndex].key}` : undefined}
        className="h-72 overflow-y-auto rounded-md border border-slate-300 bg-white p-1 text-sm shadow-sm focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/20">
        {items.length === 0 && <p className="p-3 text-center text-xs text-slate-400">{emptyText}</p>}
        {items.map((item, index) => {
          const isSelected = selected.has(item.key);
          return (
            <div key={item.key} id={`${id}-${item.key}`} role="option" aria-selected={isSelected}
              onClick={(e) => click(e, index)} onDoubleClick={() => onActivate?.()}
              className={`flex cursor-pointer select-none items-center justify-between gap-2 rounded px-2 py-1.5 ${
                isSelected ? 'bg-brand-500 text-white' : 'text-slate-700 hover:bg-slate-100'} ${index === activeIndex ? 'ring-1 ring-brand-500/40' : ''}`}>
              {item.content}
            </div>
          );
        })}
      </div>
    </div>
  );
}
