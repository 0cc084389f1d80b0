import { describe, expect, it } from 'vitest';
import { argvBuffers, encodeCommand, encodeCommands } from '../resp/encoder';
import { BulkBuilder } from './bulk-builder';

describe('BulkBuilder', () => {
  it('encodes spans of source Buffers as bulk strings, growing past its first size', () => {
    const b = new BulkBuilder();
    const src = Buffer.from('xxkey1value-one' + 'k'.repeat(100) + 'v'.repeat(70_000));
    b.span(src, 2, 4).span(src, 6, 9).span(src, 15, 100).span(src, 115, 70_000).span(src, 0, 0);
    const args = b.take();
    expect(args.count).toBe(5);
    const expanded: Buffer[] = ['key1', 'value-one', 'k'.repeat(100), 'v'.repeat(70_000), ''].map((a) => Buffer.from(a));
    expect(argvBuffers(['X', args])).toEqual([Buffer.from('X'), ...expanded]);
    expect(encodeCommands([['X', args]]).equals(encodeCommand(['X', ...expanded]))).toBe(true);
    expect(b.take().count).toBe(0); // taken: the builder starts empty
    expect(b.span(src, 2, 1).take().bytes.toString()).toBe('$1\r\nk\r\n');
  });
});
