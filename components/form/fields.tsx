'use client';
/** Labelled form controls: every control has a visible label bound to it, errors and hints are described-by. */
import { useId, type ComponentProps, type InputHTMLAttributes, type ReactNode } from 'react';

export const inputClass =
  'block w-full rounded-md border border-slate-300 bg-white px-3 py-2 text-sm text-slate-900 shadow-sm placeholder:text-slate-400 focus:border-brand-500 focus:outline-none focus:ring-2 focus:ring-brand-500/20 disabled:bg-slate-100 disabled:text-slate-500 aria-[invalid=true]:border-red-400';

interface FieldShellProps {
  label: string;
  error?: string;
  hint?: ReactNode;
  required?: boolean;
  children: (ids: { id: string; describedBy?: string; invalid: boolean }) => ReactNode;
  className?: string;
}

export function FieldShell({ label, error, hint, required, children, className = '' }: FieldShellProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`space-y-1.5 ${className}`}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-700">
        {label}
        {required && <span className="ml-0.5 text-red-600" aria-hidden>*</span>}
      </label>
      {children({ id, describedBy, invalid: Boolean(error) })}
      {hint && <p id={hintId} className="text-xs text-slate-500">{hint}</p>}
      {error && <p id={errorId} className="text-xs font-medium text-red-600">{error}</p>}
    </div>
  );
}

type TextFieldProps = {
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string;
  hint?: ReactNode;
  required?: boolean;
  className?: string;
} & Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange' | 'className'>;

export function TextField({ label, value, onChange, error, hint, required, className, ...rest }: TextFieldProps) {
  return (
    <FieldShell label={label} error={error} hint={hint} required={required} className={className}>
      {({ id, describedBy, invalid }) => (
        <input id={id} aria-describedby={describedBy} aria-invalid={invalid} required={required} value={value}
          onChange={(e) => onChange(e.target.value)} className={inputClass} {...rest} />
      )}
    </FieldShell>
  );
}

type NumberFieldProps = Omit<TextFieldProps, 'value' | 'onChange'> & {
  value: number;
  onChange: (value: number) => void;
  unit?: string;
};

/** A number input; what cannot be read as a number is passed on as NaN so the server's schema explains it. */
export function NumberField({ label, value, onChange, unit, error, hint, required, className, ...rest }: NumberFieldProps) {
  return (
    <FieldShell label={label} error={error} hint={hint} required={required} className={className}>
      {({ id, describedBy, invalid }) => (
        <div className="flex items-center gap-2">
          <input id={id} type="number" inputMode="numeric" aria-describedby={describedBy} aria-invalid={invalid}
            value={Number.isNaN(value) ? '' : String(value)} onChange={(e) => onChange(e.target.value === '' ? Number.NaN : Number(e.target.value))}
            className={inputClass} {...rest} />
          {unit && <span className="shrink-0 text-sm text-slate-500">{unit}</span>}
        </div>
      )}
    </FieldShell>
  );
}

export interface Choice<T extends string> {
  value: T;
  label: string;
  disabled?: boolean;
}

type SelectFieldProps<T extends string> = {
  label: string;
  value: T;
  options: readonly Choice<T>[];
  onChange: (value: T) => void;
  error?: string;
  hint?: ReactNode;
  disabled?: boolean;
  className?: string;
};

export function SelectField<T extends string>({ label, value, options, onChange, error, hint, disabled, className }: SelectFieldProps<T>) {
  return (
    <FieldShell label={label} error={error} hint={hint} className={className}>
      {({ id, describedBy, invalid }) => (
        <select id={id} aria-describedby={describedBy} aria-invalid={invalid} value={value} disabled={disabled}
          onChange={(e) => onChange(e.target.value as T)} className={inputClass}>
          {options.map((o) => <option key={o.value} value={o.value} disabled={o.disabled}>{o.label}</option>)}
        </select>
      )}
    </FieldShell>
  );
}

type RadioGroupProps<T extends string> = {
  legend: string;
  name: string;
  value: T;
  options: readonly (Choice<T> & { description?: ReactNode })[];
  onChange: (value: T) => void;
  error?: string;
  hint?: ReactNode;
  layout?: 'row' | 'column';
};

export function RadioGroupField<T extends string>({ legend, name, value, options, onChange, error, hint, layout = 'row' }: RadioGroupProps<T>) {
  const id = useId();
  return (
    <fieldset className="space-y-2" aria-describedby={error ? `${id}-error` : hint ? `${id}-hint` : undefined}>
      <legend className="text-sm font-medium text-slate-700">{legend}</legend>
      <div className={layout === 'row' ? 'flex flex-wrap gap-2' : 'grid gap-2'}>
        {options.map((o) => (
          <label key={o.value}
            className={`flex cursor-pointer items-start gap-2 rounded-md border px-3 py-2 text-sm transition ${value === o.value ? 'border-brand-500 bg-brand-50 text-brand-700' : 'border-slate-300 bg-white text-slate-700 hover:border-slate-400'} ${o.disabled ? 'cursor-not-allowed opacity-50' : ''}`}>
            <input type="radio" name={name} value={o.value} checked={value === o.value} disabled={o.disabled}
              onChange={() => onChange(o.value)} className="mt-0.5 accent-brand-500" />
            <span>
              <span className="font-medium">{o.label}</span>
              {o.description && <span className="block text-xs text-slate-500">{o.description}</span>}
            </span>
          </label>
        ))}
      </div>
      {hint && <p id={`${id}-hint`} className="text-xs text-slate-500">{hint}</p>}
      {error && <p id={`${id}-error`} className="text-xs font-medium text-red-600">{error}</p>}
    </fieldset>
  );
}

/** The product's Yes / No switches (Enable Throttling, Use Slave Node, ...). */
export function YesNoField({ legend, name, value, onChange, hint, disabled }: {
  legend: string; name: string; value: boolean; onChange: (v: boolean) => void; hint?: ReactNode; disabled?: boolean;
}) {
  return (
    <RadioGroupField legend={legend} name={name} value={value ? 'yes' : 'no'} hint={hint}
      options={[{ value: 'yes', label: 'Yes', disabled }, { value: 'no', label: 'No', disabled }]} onChange={(v) => onChange(v === 'yes')} />
  );
}

export function CheckboxField({ label, checked, onChange, name, hint }: {
  label: ReactNode; checked: boolean; onChange: (v: boolean) => void; name?: string; hint?: ReactNode;
}) {
  const id = useId();
  return (
    <div className="space-y-1">
      <div className="flex items-start gap-2">
        <input id={id} type="checkbox" name={name} checked={checked} onChange={(e) => onChange(e.target.checked)}
          className="mt-0.5 size-4 rounded border-slate-300 accent-brand-500" />
        <label htmlFor={id} className="text-sm text-slate-700">{label}</label>
      </div>
      {hint && <p className="pl-6 text-xs text-slate-500">{hint}</p>}
    </div>
  );
}

export function FormError({ message }: { message?: string }) {
  if (!message) return null;
  return <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">{message}</p>;
}

export function Button({ variant = 'primary', className = '', ...rest }: { variant?: 'primary' | 'secondary' | 'danger' | 'ghost' } & ComponentProps<'button'>) {
  const look = {
    primary: 'bg-brand-500 text-white shadow-sm hover:bg-brand-600 disabled:bg-slate-300',
    secondary: 'border border-slate-300 bg-white text-slate-700 shadow-sm hover:bg-slate-50 disabled:text-slate-400',
    danger: 'bg-red-600 text-white shadow-sm hover:bg-red-700 disabled:bg-slate-300',
    ghost: 'text-brand-600 hover:bg-brand-50 disabled:text-slate-400',
  }[variant];
  return <button type="button" className={`inline-flex items-center justify-center gap-2 rounded-md px-4 py-2 text-sm font-medium transition disabled:cursor-not-allowed ${look} ${className}`} {...rest} />;
}
