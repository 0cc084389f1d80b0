import { describe, expect, it } from 'vitest';
import { MAX_BULK_LENGTH, RespParser, parseAll } from './parser';
import { RespError, RespErrorReply, RespMap, RespPush, RespSet, RespVerbatim, type RespValue } from './values';

const b = (s: string) => Buffer.from(s, 'latin1');

/** Feeds `parts` in order and returns every value with its byte count. */
function feed(parts: Buffer[], opts?: ConstructorParameters<typeof RespParser>[0]): Array<[RespValue, number]> {
  const parser = new RespParser(opts);
  const out: Array<[RespValue, number]> = [];
  for (const part of parts) parser.execute(part, (v, n) => out.push([v, n]));
  expect(parser.pending).toBe(false);
  return out;
}

function one(wire: string, opts?: ConstructorParameters<typeof RespParser>[0]): RespValue {
  const out = feed([b(wire)], opts);
  expect(out).toHaveLength(1);
  expect(out[0]![1]).toBe(Buffer.byteLength(wire, 'latin1'));
  return out[0]![0];
}

describe('RespParser: every type', () => {
  it('parses RESP2 types', () => {
    expect(one('+OK\r\n')).toBe('OK');
    expect(one('+\r\n')).toBe('');
    const err = one('-WRONGPASS invalid username-password pair\r\n');
    expect(err).toBeInstanceOf(RespErrorReply);
    expect((err as RespErrorReply).code).toBe('WRONGPASS');
    expect((err as RespErrorReply).message).toBe('WRONGPASS invalid username-password pair');
    expect(one(':0\r\n')).toBe(0);
    expect(one(':-42\r\n')).toBe(-42);
    expect(one(':+7\r\n')).toBe(7);
    expect(one(':9007199254740991\r\n')).toBe(Number.MAX_SAFE_INTEGER);
    expect(one(':9223372036854775807\r\n')).toBe(9223372036854775807n);
    expect(one(':-9223372036854775808\r\n')).toBe(-9223372036854775808n);
    expect(one('$5\r\nhello\r\n')).toEqual(b('hello'));
    expect(one('$0\r\n\r\n')).toEqual(Buffer.alloc(0));
    expect(one('$-1\r\n')).toBeNull();
    expect(one('$4\r\na\r\nb\r\n')).toEqual(b('a\r\nb'));
    expect(one('*-1\r\n')).toBeNull();
    expect(one('*0\r\n')).toEqual([]);
    expect(one('*3\r\n:1\r\n$1\r\nx\r\n*2\r\n+a\r\n$-1\r\n')).toEqual([1, b('x'), ['a', null]]);
    expect(one('*2\r\n-ERR one\r\n*0\r\n')).toEqual([new RespErrorReply('ERR one'), []]);
  });

  it('parses the RESP3 types a server may answer with', () => {
    expect(one('_\r\n')).toBeNull();
    expect(one(',3.14\r\n')).toBe(3.14);
    expect(one(',-1e10\r\n')).toBe(-1e10);
    expect(one(',inf\r\n')).toBe(Infinity);
    expect(one(',-inf\r\n')).toBe(-Infinity);
    expect(one(',nan\r\n')).toBeNaN();
    expect(one('#t\r\n')).toBe(true);
    expect(one('#f\r\n')).toBe(false);
    expect(one('(3492890328409238509324850943850943825024385\r\n')).toBe(3492890328409238509324850943850943825024385n);
    expect(one('(-12\r\n')).toBe(-12n);
    const verb = one('=15\r\ntxt:Some string\r\n') as RespVerbatim;
    expect(verb).toBeInstanceOf(RespVerbatim);
    expect(verb.format).toBe('txt');
    expect(verb.toString()).toBe('Some string');
    const blob = one('!21\r\nSYNTAX invalid syntax\r\n') as RespErrorReply;
    expect(blob).toBeInstanceOf(RespErrorReply);
    expect(blob.code).toBe('SYNTAX');
    const map = one('%2\r\n+first\r\n:1\r\n$6\r\nsecond\r\n:2\r\n') as RespMap;
    expect(map).toBeInstanceOf(RespMap);
    expect(map.entries).toEqual([['first', 1], [b('second'), 2]]);
    expect(map.get('second')).toBe(2);
    expect(one('%0\r\n')).toEqual(new RespMap([]));
    const set = one('~3\r\n+a\r\n:1\r\n#f\r\n') as RespSet;
    expect(set).toBeInstanceOf(RespSet);
    expect(set.items).toEqual(['a', 1, false]);
    const push = one('>3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n') as RespPush;
    expect(push).toBeInstanceOf(RespPush);
    expect(push.items).toEqual([b('message'), b('ch'), b('hi')]);
    // Attributes are consumed with (and counted in) the value they annotate.
    expect(one('|1\r\n+key-popularity\r\n%1\r\n$1\r\na\r\n,0.19\r\n*2\r\n:2\r\n:3\r\n')).toEqual([2, 3]);
    expect(one('*2\r\n|1\r\n+ttl\r\n:3600\r\n:1\r\n:2\r\n')).toEqual([1, 2]);
  });

  it('parses inline commands when asked to, like sdssplitargs', () => {
    const inline = { inline: true };
    expect(one('PING\r\n', inline)).toEqual([b('PING')]);
    expect(one('SET  key   value\n', inline)).toEqual([b('SET'), b('key'), b('value')]);
    expect(one('SET "a b" "x\\x41\\n\\"" \'it\\\'s\'\r\n', inline)).toEqual([b('SET'), b('a b'), b('xA\n"'), b("it's")]);
    // Empty lines are skipped; their bytes count towards the next value.
    expect(feed([b('\r\n\nPING\r\n')], inline)).toEqual([[[b('PING')], 9]]);
    expect(() => parseAll(b('SET "unbalanced\r\n'), inline)).toThrow(RespError);
    expect(() => parseAll(b('PING\r\n'))).toThrow(/unexpected byte 'P'/);
  });

  it('returns a bulk that lies inside one chunk as a view of it, without copying', () => {
    const chunk = b('*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n');
    const [[value]] = feed([chunk]) as Array<[Buffer[], number]>;
    expect(value[1]!.buffer).toBe(chunk.buffer);
    expect(value[1]!.byteOffset).toBe(chunk.byteOffset + 17);
  });
});

/** A message mixing every type, nested aggregates and bulks with CRLF inside. */
const COMPOSITE = [
  '+OK\r\n',
  '-ERR unknown command\r\n',
  ':-123456\r\n',
  ':12345678901234567890\r\n',
  '$12\r\nhello\r\nworld\r\n',
  '$0\r\n\r\n',
  '$-1\r\n',
  '*-1\r\n',
  '*0\r\n',
  '*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n',
  '*2\r\n*2\r\n:1\r\n$1\r\na\r\n*1\r\n*0\r\n',
  '_\r\n',
  ',1.5\r\n',
  '#t\r\n',
  '(123456789012345678901234567890\r\n',
  '=8\r\ntxt:\r\nxy\r\n',
  '!5\r\nERR x\r\n',
  '%2\r\n$1\r\nk\r\n*1\r\n:1\r\n+m\r\n~1\r\n_\r\n',
  '~2\r\n:1\r\n:2\r\n',
  '>2\r\n+pubsub\r\n$3\r\nmsg\r\n',
  '|1\r\n+a\r\n+b\r\n:7\r\n',
];

describe('RespParser: split reads', () => {
  const whole = b(COMPOSITE.join(''));
  const expectedCounts = COMPOSITE.map((s) => Buffer.byteLength(s, 'latin1'));
  const reference = feed([whole]);

  it('reports the exact byte count of every top-level value', () => {
    expect(reference.map(([, n]) => n)).toEqual(expectedCounts);
    expect(reference.reduce((s, [, n]) => s + n, 0)).toBe(whole.length);
  });

  it('gives the same values and byte counts when split at every byte position', () => {
    for (let i = 1; i < whole.length; i++) {
      expect(feed([whole.subarray(0, i), whole.subarray(i)]), `split at ${i}`).toEqual(reference);
    }
  });

  it('gives the same values when split at every pair of positions and byte by byte', () => {
    for (let i = 1; i < whole.length; i += 3) {
      for (let j = i + 1; j < whole.length; j += 5) {
        expect(feed([whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j)]), `split at ${i},${j}`).toEqual(reference);
      }
    }
    const bytes: Buffer[] = [];
    for (let i = 0; i < whole.length; i++) bytes.push(whole.subarray(i, i + 1));
    expect(feed(bytes)).toEqual(reference);
  });

  it('splits a large bulk preallocated once (below the prealloc limit) and zero-copy pieces (above it)', () => {
    for (const preallocateBytes of [1 << 20, 1000]) {
      const body = Buffer.alloc(100_000, 'x');
      const wire = Buffer.concat([b('*2\r\n$3\r\nSET\r\n$100000\r\n'), body, b('\r\n:1\r\n')]);
      const parts = [wire.subarray(0, 30), wire.subarray(30, 40_000), wire.subarray(40_000, 100_022), wire.subarray(100_022)];
      const out = feed(parts, { preallocateBytes });
      expect(out).toHaveLength(2);
      expect(out[0]![1]).toBe(wire.length - 4);
      expect((out[0]![0] as Buffer[])[1]!.equals(body)).toBe(true);
      expect(out[1]).toEqual([1, 4]);
    }
  });
});

describe('RespParser: huge bulks', () => {
  it('parses a 512 MB bulk (the maximum) fed in 1 MB chunks', () => {
    const MB = 1024 * 1024;
    const chunk = Buffer.allocUnsafe(MB);
    for (let i = 0; i < MB; i++) chunk[i] = i % 251;
    const parser = new RespParser();
    const out: Array<[RespValue, number]> = [];
    const cb = (v: RespValue, n: number) => out.push([v, n]);
    const header = b(`$${MAX_BULK_LENGTH}\r\n`);
    parser.execute(header, cb);
    for (let i = 0; i < MAX_BULK_LENGTH / MB; i++) parser.execute(chunk, cb);
    expect(out).toHaveLength(0);
    parser.execute(b('\r\n'), cb);
    expect(out).toHaveLength(1);
    const [value, bytes] = out[0]! as [Buffer, number];
    expect(bytes).toBe(header.length + MAX_BULK_LENGTH + 2);
    expect(value.length).toBe(MAX_BULK_LENGTH);
    for (const at of [0, 1, MB - 1, MB, 123_456_789, MAX_BULK_LENGTH - 1]) expect(value[at]).toBe((at % MB) % 251);
  });

  it('rejects a bulk over 512 MB', () => {
    const parser = new RespParser();
    expect(() => parser.execute(b(`$${MAX_BULK_LENGTH + 1}\r\n`), () => {})).toThrow(/exceeds the limit/);
    expect(() => parseAll(b('$99999999999\r\n'))).toThrow(RespError);
  });

  it('does not allocate a large declared length before its bytes arrive', () => {
    const parser = new RespParser();
    const before = process.memoryUsage().arrayBuffers;
    parser.execute(b(`$${MAX_BULK_LENGTH}\r\nabc`), () => {});
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(grown).toBeLessThan(4 * 1024 * 1024);
    expect(parser.pending).toBe(true);
  });
});

describe('RespParser: malformed input', () => {
  const bad: Array<[string, RegExp]> = [
    ['?what\r\n', /unexpected byte '\?'/],
    ['$abc\r\n', /in a length/],
    ['$\r\n', /empty length/],
    ['$-2\r\n', /negative length/],
    ['*-5\r\n', /negative length/],
    ['$3\r\nabcd\r\n', /not followed by CRLF/],
    ['$3\r\nab', /ends inside/],
    ['+OK\n', /LF without CR/],
    ['$3\rX', /CR without LF/],
    [':12a\r\n', /in an integer/],
    [':\r\n', /empty integer/],
    ['#x\r\n', /boolean/],
    ['_x\r\n', /null with a payload/],
    [',abc\r\n', /double/],
    ['(12x\r\n', /big number/],
    ['=3\r\nabc\r\n', /verbatim/],
    ['%-1\r\n', /null map/],
    ['$-1x\r\n', /in a length/],
  ];
  for (const [wire, message] of bad) {
    it(`rejects ${JSON.stringify(wire)}`, () => {
      expect(() => parseAll(b(wire))).toThrow(RespError);
      expect(() => parseAll(b(wire))).toThrow(message);
    });
  }

  it('stays failed after an error until reset', () => {
    const parser = new RespParser();
    expect(() => parser.execute(b('+OK\r\n?'), () => {})).toThrow(RespError);
    expect(() => parser.execute(b('+OK\r\n'), () => {})).toThrow(RespError);
    parser.reset();
    const out: RespValue[] = [];
    parser.execute(b('+OK\r\n'), (v) => out.push(v));
    expect(out).toEqual(['OK']);
  });

  it('rejects over-long lines and deep nesting, even when split', () => {
    const parser = new RespParser({ maxLineLength: 100 });
    parser.execute(b('+' + 'x'.repeat(60)), () => {});
    expect(() => parser.execute(b('y'.repeat(60)), () => {})).toThrow(/longer than 100/);
    expect(() => parseAll(b('*1\r\n'.repeat(200) + ':1\r\n'))).toThrow(/nested deeper/);
    expect(() => parseAll(b('*5000000000\r\n'))).toThrow(/exceeds the limit/);
  });

  it('reports a protocol error with a code and a hint', () => {
    try {
      parseAll(b('!'));
      throw new Error('not thrown');
    } catch (err) {
      expect(err).toBeInstanceOf(RespError);
      expect((err as RespError).code).toBe('RESP_PROTOCOL');
      expect((err as RespError).describe()).toMatch(/ends inside a value/);
    }
  });
});
