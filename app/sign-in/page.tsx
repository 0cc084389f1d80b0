import type { Metadata } from 'next';
import { redirect } from 'next/navigation';
import { SignInForm } from '@/components/auth/SignInForm';
import { currentUser } from '@/lib/auth/guard';
import { safeNextPath } from '@/lib/auth/next-path';
import { firstParam, type SearchParams } from '@/lib/http/search-params';

export const dynamic = 'force-dynamic';
export const metadata: Metadata = { title: 'Sign In — redis-dts' };

/** The only page open without a session. */
export default async function SignInPage({ searchParams }: { searchParams: Promise<SearchParams> }) {
  const params = await searchParams;
  const next = safeNextPath(firstParam(params, 'next'));
  if (await currentUser()) redirect(next ?? '/sync-tasks');
  const notice = firstParam(params, 'signedOut') ? 'You are signed out.'
    : firstParam(params, 'expired') ? 'Your session ended after a period of inactivity. Sign in again.' : undefined;
  return (
    <main className="grid min-h-screen place-items-center px-4">
      <div className="w-full max-w-sm space-y-6">
        <div className="flex items-center justify-center gap-2">
          <span className="grid size-9 place-items-center rounded-md bg-red-600 text-sm font-bold text-white">D</span>
          <span className="text-lg font-semibold tracking-tight">redis-dts</span>
        </div>
        <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
          <h1 className="mb-1 text-xl font-semibold tracking-tight">Sign In</h1>
          <p className="mb-5 text-sm text-slate-500">Sign in to the Data Transmission Service console.</p>
          <SignInForm next={next} notice={notice} />
        </div>
        <p className="text-center text-xs text-slate-500">
          First start? The <code>admin</code> password is in the server log, or in <code>DTS_ADMIN_PASSWORD</code> if you set it.
        </p>
      </div>
    </main>
  );
}
