'use client';
/** The sign-in form: posts to /api/auth/sign-in and shows one message when it is refused. */
import { useState, type FormEvent } from 'react';
import { Button } from '@/components/ui/Button';
import { inputClass } from '@/components/form/fields';

export function SignInForm({ next, notice }: { next?: string; notice?: string }) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const res = await fetch('/api/auth/sign-in', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username, password, next }),
      });
      const body = (await res.json().catch(() => ({}))) as { next?: string; error?: string };
      if (res.ok && body.next) {
        window.location.assign(body.next);
        return;
      }
      setError(body.error ?? `Sign-in failed (HTTP ${res.status}).`);
      setPassword('');
    } catch (err) {
      setError(`The console could not be reached: ${err instanceof Error ? err.message : String(err)}`);
    }
    setBusy(false);
  }

  return (
    <form onSubmit={(e) => void submit(e)} aria-label="Sign in" className="space-y-4">
      {notice && !error && <p role="status" className="rounded-md border border-emerald-200 bg-emerald-50 px-3 py-2 text-sm text-emerald-800">{notice}</p>}
      {error && <p role="alert" className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-700">{error}</p>}
      <div className="space-y-1.5">
        <label htmlFor="sign-in-username" className="block text-sm font-medium text-slate-700">Username</label>
        <input id="sign-in-username" name="username" autoComplete="username" autoFocus required value={username}
          onChange={(e) => setUsername(e.target.value)} className={inputClass} />
      </div>
      <div className="space-y-1.5">
        <label htmlFor="sign-in-password" className="block text-sm font-medium text-slate-700">Password</label>
        <input id="sign-in-password" name="password" type="password" autoComplete="current-password" required value={password}
          onChange={(e) => setPassword(e.target.value)} className={inputClass} />
      </div>
      <Button type="submit" variant="primary" busy={busy} className="w-full">{busy ? 'Signing In…' : 'Sign In'}</Button>
    </form>
  );
}
