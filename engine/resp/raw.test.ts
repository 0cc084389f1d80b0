/**
 * Raw replies (resp/raw.ts): where a value ends however its bytes are cut, the offsets of an
 * array's bulk strings, and the parser halting after a value (how a connection hands a raw
 * reply over mid-chunk).
 */
import { describe, expect, it } from 'vitest';
import { RespParser } from './parser';
import { arrayHeader, bulkSpans, RawScan, rawError, rawNeed, rawValueEnd } from './raw';

const b = (s: string) => Buffer.from(s, 'latin1');

describe('rawValueEnd', () => {
  const wire = '*2\r\n$3\r\n123\r\n*4\r\n$1\r\na\r\n$-1\r\n*2\r\n:5\r\n+OK\r\n$0\r\n\r\n';
  it('finds the end of a nested reply, and -1 with a lower bound of what is missing on every prefix', () => {
    const full = b(`${wire}+NEXT\r\n`);
    expect(rawValueEnd(full, 0)).toBe(wire.length);
    for (let cut = 0; cut < wire.length; cut++) {
      expect(rawValueEnd(full.subarray(0, cut), 0)).toBe(-1);
      expect(rawNeed).toBeGreaterThan(cut);
      expect(rawNeed).toBeLessThanOrEqual(wire.length);
    }
  });
  it('goes on from where it stopped when given more of the value', () => {
    const full = b(`xx${wire}`);
    for (let cut = 2; cut < full.length; cut++) {
      const scan = new RawScan();
      expect(rawValueEnd(full.subarray(0, cut), 2, scan)).toBe(-1);
      for (let more = cut + 1; more < full.length; more++) expect(rawValueEnd(full.subarray(0, more), 2, scan)).toBe(-1);
      expect(rawValueEnd(full, 2, scan)).toBe(full.length);
    }
  });
  it('reads an error, an empty and a null array, from an offset', () => {
    expect(rawValueEnd(b('xx-ERR no\r\n'), 2)).toBe(11);
    expect(rawValueEnd(b('*0\r\n'), 0)).toBe(4);
    expect(rawValueEnd(b('*-1\r\n'), 0)).toBe(5);
    expect(rawError(b('-NOPERM no\r\n'))?.code).toBe('NOPERM');
    expect(rawError(b('*0\r\n'))).toBeUndefined();
  });
  it('asks for a long bulk string whole (its length known from the header)', () => {
    expect(rawValueEnd(b('$100\r\nab'), 0)).toBe(-1);
    expect(rawNeed).toBe(108);
  });
  it('refuses what is not RESP', () => {
    expect(() => rawValueEnd(b('$3\r\nabcXY'), 0)).toThrow(/CRLF/);
    expect(() => rawValueEnd(b('?x\r\n'), 0)).toThrow(/RESP type/);
  });
});

describe('bulkSpans', () => {
  it('gives header, start and length per element (-1: a null)', () => {
    const raw = b('*3\r\n$2\r\nab\r\n$-1\r\n$10\r\n0123456789\r\n');
    const [n, at] = arrayHeader(raw, 0);
    expect(n).toBe(3);
    const spans = new Int32Array(9);
    expect(bulkSpans(raw, at, n, spans)).toBe(raw.length);
    expect([...spans]).toEqual([4, 8, 2, 12, 17, -1, 17, 22, 10]);
    expect(raw.toString('latin1', 22, 32)).toBe('0123456789');
    expect(() => bulkSpans(b(':1\r\n'), 0, 1, new Int32Array(3))).toThrow(/not a bulk string/);
  });
});

describe('RespParser halting after a value', () => {
  it('returns the bytes consumed, counts each value whole, and goes on from there', () => {
    const parser = new RespParser();
    const wire = b('+A\r\n$3\r\nxyz\r\n:7\r\n');
    const got: Array<[unknown, number]> = [];
    const used = parser.execute(wire, (v, n) => {
      got.push([v, n]);
      return got.length === 1;
    });
    expect(used).toBe(4);
    expect(parser.execute(wire.subarray(used), (v, n) => { got.push([v, n]); })).toBe(wire.length - 4);
    expect(got).toEqual([['A', 4], [b('xyz'), 9], [7, 4]]);
  });
  it('halts after a value completed by a line split across chunks', () => {
    const parser = new RespParser();
    const got: unknown[] = [];
    expect(parser.execute(b('+HEL'), () => true)).toBe(4);
    expect(parser.execute(b('LO\r\n+X\r\n'), (v) => { got.push(v); return true; })).toBe(4);
    expect(got).toEqual(['HELLO']);
  });
});
