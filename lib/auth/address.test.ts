import { describe, expect, it } from 'vitest';
import { clientAddress, PEER_HEADER } from './address';

const h = (xff?: string, peer?: string) => new Headers({ ...(xff === undefined ? {} : { 'x-forwarded-for': xff }), ...(peer ? { [PEER_HEADER]: peer } : {}) });
const started = { DTS_PEER_HEADER: '1' }; // as scripts/start.mjs runs the console

describe('client address', () => {
  it('is the socket peer that npm start recorded: a client-written X-Forwarded-For is ignored', () => {
    expect(clientAddress(h('203.0.113.7', '::ffff:127.0.0.1'), started)).toBe('127.0.0.1');
    expect(clientAddress(h(undefined, '10.0.0.5'), started)).toBe('10.0.0.5');
  });

  it('behind N trusted proxies, the entry N places from the right of X-Forwarded-For, <peer>', () => {
    // The proxy (10.0.0.5) appended the client it saw (1.1.1.1); the client had written 6.6.6.6 first.
    expect(clientAddress(h('6.6.6.6, 1.1.1.1', '10.0.0.5'), { ...started, DTS_TRUSTED_PROXY_HOPS: '1' })).toBe('1.1.1.1');
    expect(clientAddress(h('6.6.6.6, 1.1.1.1, 10.0.0.4', '10.0.0.5'), { ...started, DTS_TRUSTED_PROXY_HOPS: '2' })).toBe('1.1.1.1');
    expect(clientAddress(h('1.1.1.1', '10.0.0.5'), { ...started, DTS_TRUSTED_PROXY_HOPS: '5' })).toBe('1.1.1.1');
    expect(() => clientAddress(h(), { DTS_TRUSTED_PROXY_HOPS: 'two' })).toThrow(/DTS_TRUSTED_PROXY_HOPS must be a whole number/);
  });

  it('trusts the peer header only when npm start set it up; otherwise falls back to what Next.js filled in', () => {
    expect(clientAddress(h('10.0.0.5', '6.6.6.6'), {})).toBe('10.0.0.5');
    expect(clientAddress(h('1.1.1.1, 10.0.0.5'), { DTS_TRUSTED_PROXY_HOPS: '1' })).toBe('1.1.1.1');
    expect(clientAddress(h(), {})).toBe('unknown');
  });
});
