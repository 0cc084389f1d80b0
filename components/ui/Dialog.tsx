'use client';
/**
 * A modal dialog on the native <dialog> element: focus moves into it and stays
 * there, Escape closes it, the page behind is inert, and it is named by its title.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

interface Props {
  open: boolean;
  onClose: () => void;
  title: string;
  children: ReactNode;
  footer: ReactNode;
  tone?: 'default' | 'danger';
}

export function Dialog({ open, onClose, title, children, footer, tone = 'default' }: Props) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const bodyId = useId();
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (open && !el.open) el.showModal();
    if (!open && el.open) el.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onClick={(e) => {
        if (e.target === e.currentTarget) onClose(); // a click on the backdrop
      }}
      className="m-auto w-[min(32rem,calc(100vw-2rem))] rounded-xl border border-slate-200 bg-white p-0 text-left text-slate-900 shadow-xl backdrop:bg-slate-900/40 backdrop:backdrop-blur-[1px]"
    >
      {open && (
        <div className="p-6">
          <div className="flex items-start gap-3">
            {tone === 'danger' && (
              <span className="mt-0.5 grid size-8 shrink-0 place-items-center rounded-full bg-red-50 text-red-600" aria-hidden>
                <svg viewBox="0 0 24 24" className="size-4" fill="none" stroke="currentColor" strokeWidth={2}>
                  <path d="M12 9v4m0 4h.01M10.3 3.9 2.4 17.5A2 2 0 0 0 4.1 20.5h15.8a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z" strokeLinecap="round" strokeLinejoin="round" />
                </svg>
              </span>
            )}
            <div className="min-w-0 flex-1">
              <h2 id={titleId} className="text-base font-semibold text-slate-900">{title}</h2>
              <div id={bodyId} className="mt-2 space-y-2 text-sm text-slate-600">{children}</div>
            </div>
          </div>
          <div className="mt-6 flex flex-wrap justify-end gap-2">{footer}</div>
        </div>
      )}
    </dialog>
  );
}
