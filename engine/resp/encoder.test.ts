import { describe, expect, it } from 'vitest';
import { argvBuffers, commandByteLength, encodeCommand, encodeCommandInto, encodeCommands, EncodedArgs } from './encoder';
import { parseAll } from './parser';

describe('RESP encoder', () => {
  it('encodes a command as a multibulk of bulk strings', () => {
    expect(encodeCommand(['SET', 'key', 'value']).toString()).toBe('*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n');
    expect(encodeCommand(['REPLCONF', 'ACK', 1234567890123]).toString()).toBe(
      '*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$13\r\n1234567890123\r\n');
    expect(encodeCommand(['X', '', -1.5, 10n ** 20n]).toString()).toBe(
      '*4\r\n$1\r\nX\r\n$0\r\n\r\n$4\r\n-1.5\r\n$21\r\n100000000000000000000\r\n');
  });

  it('writes UTF-8 strings and binary Buffers byte for byte', () => {
    const binary = Buffer.from([0, 13, 10, 255, 36]);
    const long = 'é'.repeat(100) + '€';
    const out = encodeCommand(['SET', 'clé ✓', binary, long]);
    const [argv] = parseAll(out) as Buffer[][];
    expect(argv![1]!.toString('utf8')).toBe('clé ✓');
    expect(argv![2]!.equals(binary)).toBe(true);
    expect(argv![3]!.toString('utf8')).toBe(long);
    expect(commandByteLength(['SET', 'clé ✓', binary, long])).toBe(out.length);
  });

  it('round-trips through the parser, with lengths of every digit count', () => {
    for (const n of [0, 1, 9, 10, 99, 100, 999, 1000, 65536]) {
      const arg = Buffer.alloc(n, 'z');
      const wire = encodeCommand(['APPEND', 'k', arg]);
      expect(parseAll(wire)).toEqual([[Buffer.from('APPEND'), Buffer.from('k'), arg]]);
    }
  });

  it('batches many commands into one exact-size Buffer equal to their concatenation', () => {
    const cmds = Array.from({ length: 300 }, (_, i) => ['HSET', `h:${i}`, 'f', i % 7 === 0 ? Buffer.from([i & 255]) : i]);
    const batch = encodeCommands(cmds);
    expect(batch.equals(Buffer.concat(cmds.map((c) => encodeCommand(c))))).toBe(true);
    expect(parseAll(batch)).toHaveLength(300);
  });

  it('writes into a caller-provided Buffer and refuses to overflow it', () => {
    const target = Buffer.alloc(64, 0);
    const end = encodeCommandInto(target, 3, ['PING']);
    expect(target.subarray(3, end).toString()).toBe('*1\r\n$4\r\nPING\r\n');
    expect(() => encodeCommandInto(target, 60, ['PING'])).toThrow(RangeError);
  });

  it('copies arguments encoded earlier as they are and counts each of them in the header', () => {
    const expanded = [Buffer.from('key1'), Buffer.from('value-one'), Buffer.alloc(70_000, 'v')];
    const args = new EncodedArgs(Buffer.concat(expanded.map((a) => encodeCommand([a]).subarray(4))), 3);
    expect(argvBuffers(['RPUSH', args])).toEqual([Buffer.from('RPUSH'), ...expanded]);
    const wire = encodeCommands([['PING'], ['RPUSH', args], ['GET', 'key1']]);
    expect(wire.equals(Buffer.concat([encodeCommand(['PING']), encodeCommand(['RPUSH', ...expanded]), encodeCommand(['GET', 'key1'])]))).toBe(true);
    expect(commandByteLength(['RPUSH', args])).toBe(encodeCommand(['RPUSH', ...expanded]).length);
    const into = Buffer.alloc(commandByteLength(['RPUSH', args]));
    expect(encodeCommandInto(into, 0, ['RPUSH', args])).toBe(into.length);
    expect(into.equals(encodeCommand(['RPUSH', ...expanded]))).toBe(true);
  });

  it('refuses arguments it cannot encode', () => {
    expect(() => encodeCommand(['SET', 'k', NaN])).toThrow(TypeError);
    expect(() => encodeCommand([])).toThrow(TypeError);
    expect(() => encodeCommand(['SET', {} as unknown as string])).toThrow(TypeError);
  });
});
