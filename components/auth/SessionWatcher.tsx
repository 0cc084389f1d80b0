'use client';
/**
 * Notices a session that ended while the page stayed open (inactivity, sign-out
 * elsewhere, account disabled) and goes to the sign-in page. Its checks do not
 * count as activity.
 */
import { useEffect } from 'react';

export function SessionWatcher({ everyMs = 60_000 }: { everyMs?: number }) {
  useEffect(() => {
    let stopped = false;
    async function check() {
      try {
        const res = await fetch('/api/auth/session', { cache: 'no-store' });
        if (!stopped && res.status === 401) {
          const here = `${window.location.pathname}${window.location.search}`;
          window.location.assign(`/sign-in?expired=1&next=${encodeURIComponent(here)}`);
        }
      } catch {
        // offline for a moment: check again later
      }
    }
    const timer = setInterval(() => void check(), everyMs);
    const onFocus = () => void check();
    window.addEventListener('focus', onFocus);
    return () => {
      stopped = true;
      clearInterval(timer);
      window.removeEventListener('focus', onFocus);
    };
  }, [everyMs]);
  return null;
}
