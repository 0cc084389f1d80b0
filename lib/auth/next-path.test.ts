import { describe, expect, it } from 'vitest';
import { crossSiteRefusal } from '@/lib/http/same-origin';
import { safeNextPath } from './next-path';

describe('the sign-in next path', () => {
  it('keeps paths of the console, normalized', () => {
    expect(safeNextPath('/instances')).toBe('/instances');
    expect(safeNextPath('/sync-tasks?region=local#x')).toBe('/sync-tasks?region=local#x');
    expect(safeNextPath('/a/../audit')).toBe('/audit');
  });

  it('refuses anything that leaves the console, or goes back to sign-in', () => {
    for (const next of ['/\\evil.example', '//evil.example', '/\t/evil.example', '/\n/evil.example', '/\\/evil.example', '/.//evil.example',
      'https://evil.example/', 'evil.example', 'javascript:alert(1)', '', '/sign-in', '/sign-in?next=/x', undefined, 42]) {
      expect(safeNextPath(next), JSON.stringify(next)).toBeUndefined();
    }
  });
});

describe('same-origin check of the sign-in route', () => {
  const h = (o: Record<string, string>) => new Headers({ host: 'dts.example.com', ...o });
  it('lets the console\'s own pages and non-browser clients through', () => {
    expect(crossSiteRefusal(h({ origin: 'https://dts.example.com', 'sec-fetch-site': 'same-origin' }))).toBeUndefined();
    expect(crossSiteRefusal(h({}))).toBeUndefined();
  });
  it('refuses another site', () => {
    expect(crossSiteRefusal(h({ origin: 'https://evil.example' }))).toMatch(/another origin/);
    expect(crossSiteRefusal(h({ origin: 'null' }))).toMatch(/another origin/);
    expect(crossSiteRefusal(h({ 'sec-fetch-site': 'cross-site' }))).toMatch(/another site/);
    expect(crossSiteRefusal(h({ 'sec-fetch-site': 'same-site', origin: 'https://dts.example.com' }))).toMatch(/another site/);
  });
});
