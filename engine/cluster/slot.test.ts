import { describe, expect, it } from 'vitest';
import { crc16, keySlot, keySlotAt, tagForSlot } from './slot';

describe('cluster slots', () => {
  it('match the reference values', () => {
    expect(crc16(Buffer.from('123456789'))).toBe(0x31c3);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('foo{}{bar}')).toBe(crc16(Buffer.from('foo{}{bar}')) & 16383);
    expect(keySlot('foo{{bar}}')).toBe(keySlot('{bar'));
  });

  it('give a key inside a larger buffer the slot of the key alone', () => {
    for (const key of ['foo', '{user1000}.following', 'foo{}{bar}', 'foo{{bar}}', '{', '}{x}', '', 'a{b']) {
      const buf = Buffer.from(`{pre}${key}{post}`);
      expect(keySlotAt(buf, 5, 5 + Buffer.byteLength(key)), key).toBe(keySlot(key));
    }
  });

  it('finds a tag for any slot range', () => {
    const tag = tagForSlot((s) => s >= 5461 && s <= 10922);
    const slot = keySlot(`{${tag}}`);
    expect(slot).toBeGreaterThanOrEqual(5461);
    expect(slot).toBeLessThanOrEqual(10922);
  });
});
