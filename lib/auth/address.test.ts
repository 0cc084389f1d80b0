import { describe, expect, it } from 'vitest';
import { clientAddress } from './address';

const h = (xff?: string) => new Headers(xff === undefined ? {} : { 'x-forwarded-for': xff });

describe('client address', () => {
  it('takes the entry Next.js added from the socket, or the one before N trusted proxies', () => {
    expect(clientAddress(h('::ffff:127.0.0.1'), {})).toBe('127.0.0.1');
    expect(clientAddress(h('1.1.1.1, 10.0.0.5'), {})).toBe('10.0.0.5');
    expect(clientAddress(h('1.1.1.1, 10.0.0.5'), { DTS_TRUSTED_PROXY_HOPS: '1' })).toBe('1.1.1.1');
    expect(clientAddress(h('1.1.1.1'), { DTS_TRUSTED_PROXY_HOPS: '5' })).toBe('1.1.1.1');
    expect(clientAddress(h(), {})).toBe('unknown');
  });
});
