/**
 * The Content-Security-Policy of the console's responses, set per request by
 * proxy.ts (the static headers — nosniff, Referrer-Policy, X-Frame-Options —
 * are in next.config.js).
 *
 * - Scripts: only those carrying this response's nonce, and what they load
 *   ('strict-dynamic'). Next.js reads the nonce from the request's CSP header and
 *   puts it on its own scripts, inline ones included; no 'unsafe-inline' for
 *   scripts. (`next dev` also needs 'unsafe-eval'.)
 * - Styles: 'self' and 'unsafe-inline'. Components set `style` attributes
 *   (progress bars, meters), which a nonce cannot cover; a style runs no code.
 * - Nothing may frame the console (frame-ancestors 'none'), forms post only to
 *   it, no plugins, no <base>.
 */
export function pageContentSecurityPolicy(nonce: string, dev = process.env.NODE_ENV === 'development'): string {
  return [
    "default-src 'self'",
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ''}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** Route handlers answer data, never a document: nothing may run or frame it. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";
