import { describe, expect, it } from 'vitest';
import { LzfError, LzfStream, lzfDecompress } from './lzf';
import { prng } from '../testing/prng';
import { lzfCompress } from './testing/rdb-writer';

function streamDecode(comp: Buffer, ulen: number, rnd: () => number): Buffer {
  const s = new LzfStream(ulen, 1024);
  const out: Buffer[] = [];
  let p = 0;
  while (p < comp.length) {
    const n = 1 + Math.floor(rnd() * 200);
    out.push(...s.push(comp.subarray(p, p + n)));
    p += n;
  }
  s.finish();
  return Buffer.concat(out);
}

describe('lzf', () => {
  it('decodes literal runs and overlapping back-references', () => {
    // "a", then copy 9 bytes from 1 back (overlapping): "aaaaaaaaaa".
    expect(lzfDecompress(Buffer.from([0x00, 0x61, 0xe0, 0x00, 0x00]), 0, 5, 10).toString()).toBe('a'.repeat(10));
    // "abc" then copy 3 from 3 back: "abcabc"; then literal "d".
    const c = Buffer.from([0x02, 0x61, 0x62, 0x63, 0x20, 0x02, 0x00, 0x64]);
    expect(lzfDecompress(c, 0, c.length, 7).toString()).toBe('abcabcd');
  });

  it('rejects malformed data instead of over-reading or over-allocating', () => {
    const bad = (bytes: number[], ulen: number) => () => lzfDecompress(Buffer.from(bytes), 0, bytes.length, ulen);
    expect(bad([0x20, 0x05], 10)).toThrow(LzfError); // back-reference before the start
    expect(bad([0x05, 0x61], 10)).toThrow(/past the end/); // literal run cut short
    expect(bad([0x00, 0x61, 0xe0], 10)).toThrow(/cut short/);
    expect(bad([0x01, 0x61, 0x62], 1)).toThrow(/overflows/);
    expect(bad([0x00, 0x61], 5)).toThrow(/declared 5/);
    expect(bad([0x00, 0x61], 4 * 1024 * 1024 * 1024)).toThrow(/impossible/); // no 4 GB allocation
  });

  it('round-trips random and repetitive data, one-shot and streamed in random splits', () => {
    const rnd = prng(42);
    const inputs: Buffer[] = [Buffer.alloc(0), Buffer.from('x'), Buffer.alloc(40_000, 'ab')];
    for (let i = 0; i < 12; i++) {
      const n = Math.floor(rnd() * 12_000);
      const b = Buffer.alloc(n);
      const alphabet = 1 + Math.floor(rnd() * 255);
      for (let j = 0; j < n; j++) b[j] = rnd() < 0.7 && j > 300 ? b[j - 1 - Math.floor(rnd() * 300)]! : Math.floor(rnd() * alphabet);
      inputs.push(b);
    }
    for (const input of inputs) {
      const comp = lzfCompress(input);
      expect(lzfDecompress(comp, 0, comp.length, input.length)).toEqual(input);
      expect(streamDecode(comp, input.length, rnd)).toEqual(input);
    }
  });

  it('streams: detects a short or overlong stream at finish', () => {
    const input = Buffer.alloc(5000, 'hello world ');
    const comp = lzfCompress(input);
    const s = new LzfStream(input.length + 1);
    s.push(comp);
    expect(() => s.finish()).toThrow(/declared/);
    const t = new LzfStream(input.length);
    t.push(comp.subarray(0, comp.length - 1));
    expect(() => t.finish()).toThrow();
    expect(() => new LzfStream(10).push(Buffer.from([0x20, 0x05]))).toThrow(/before the start/);
  });
});
