import type { ButtonHTMLAttributes } from 'react';

export type ButtonVariant = 'primary' | 'secondary' | 'danger' | 'danger-secondary' | 'ghost' | 'link' | 'link-danger';
export type ButtonSize = 'sm' | 'md';

const VARIANT: Record<ButtonVariant, string> = {
  primary: 'bg-brand-500 text-white shadow-sm hover:bg-brand-600 disabled:bg-brand-500/60',
  secondary: 'bg-white text-slate-700 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 disabled:text-slate-400',
  danger: 'bg-red-600 text-white shadow-sm hover:bg-red-700 disabled:bg-red-600/60',
  'danger-secondary': 'bg-white text-red-700 shadow-sm ring-1 ring-inset ring-red-200 hover:bg-red-50 disabled:text-slate-400 disabled:ring-slate-200',
  ghost: 'text-slate-700 hover:bg-slate-100 disabled:text-slate-400',
  link: 'text-brand-600 hover:text-brand-700 hover:underline disabled:text-slate-400 disabled:no-underline',
  'link-danger': 'text-red-600 hover:text-red-700 hover:underline disabled:text-slate-400 disabled:no-underline',
};

const SIZE: Record<ButtonSize, string> = {
  sm: 'gap-1 rounded px-1.5 py-0.5 text-xs',
  md: 'gap-1.5 rounded-md px-3 py-1.5 text-sm',
};

/** Class names of a button, for links styled as buttons. */
export function buttonClass(variant: ButtonVariant = 'secondary', size: ButtonSize = 'md'): string {
  const pad = variant === 'link' || variant === 'link-danger' ? SIZE[size].replace(/px-\S+ py-\S+/, 'px-0.5 py-0.5') : SIZE[size];
  return `inline-flex items-center justify-center whitespace-nowrap font-medium transition-colors focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-brand-500 disabled:cursor-not-allowed ${pad} ${VARIANT[variant]}`;
}

type Props = ButtonHTMLAttributes<HTMLButtonElement> & { variant?: ButtonVariant; size?: ButtonSize; busy?: boolean };

export function Button({ variant = 'secondary', size = 'md', busy, className = '', type = 'button', children, disabled, ...rest }: Props) {
  return (
    <button type={type} disabled={disabled || busy} aria-busy={busy || undefined} className={`${buttonClass(variant, size)} ${className}`} {...rest}>
      {busy && <Spinner />}
      {children}
    </button>
  );
}

export function Spinner({ className = 'size-3.5' }: { className?: string }) {
  return (
    <svg viewBox="0 0 24 24" className={`animate-spin ${className}`} fill="none" aria-hidden>
      <circle cx="12" cy="12" r="9" stroke="currentColor" strokeOpacity="0.25" strokeWidth="3" />
      <path d="M21 12a9 9 0 0 0-9-9" stroke="currentColor" strokeWidth="3" strokeLinecap="round" />
    </svg>
  );
}
