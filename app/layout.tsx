import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import { Providers } from '@/components/providers';
import './globals.css';

// Rendered per request, so Next.js can put the proxy's CSP nonce on its scripts (proxy.ts).
export const dynamic = 'force-dynamic';

export const metadata: Metadata = {
  title: 'redis-dts — Data Transmission Service',
  description: 'Move a live Redis or Tair database to another instance without downtime.',
  icons: { icon: { url: '/favicon.svg', type: 'image/svg+xml' } },
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body className="bg-slate-50 text-slate-900 antialiased">
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
