/**
 * What each destination version receives for the commands a newer source propagates
 * (the forms are those real Redis 8.0.6 / Valkey 9.1.2 replication streams carry).
 */
import { describe, expect, it } from 'vitest';
import type { ServerVersion } from '../servers/facts';
import { commandInfo, keyPositions } from './table';
import { CommandTranslationError, translatorFor } from './translate';

const v = (product: ServerVersion['product'], major: number, minor: number): ServerVersion => ({ product, major, minor, patch: 0 });
const REDIS_60 = v('redis', 6, 0);
const REDIS_70 = v('redis', 7, 0);
const REDIS_74 = v('redis', 7, 4);
const REDIS_80 = v('redis', 8, 0);
const VALKEY_81 = v('valkey', 8, 1);
const VALKEY_91 = v('valkey', 9, 1);

function tr(dest: ServerVersion, ...argv: (string | number)[]): string[][] | undefined {
  const args = argv.map((a) => Buffer.from(String(a)));
  const name = String(argv[0]).toUpperCase();
  const t = translatorFor(dest);
  if (!t.names.has(name)) return undefined;
  return t.translate(name, args)?.map((c) => c.map((b) => b.toString()));
}

describe('translatorFor', () => {
  it('HINCRBYFLOAT as Redis 8 propagates it (HSETEX … KEEPTTL) becomes HSET where the destination has no field TTLs', () => {
    expect(tr(VALKEY_81, 'HSETEX', 'h', 'KEEPTTL', 'FIELDS', 1, 'f', '2.5')).toEqual([['HSET', 'h', 'f', '2.5']]);
    expect(tr(REDIS_70, 'HSETEX', 'h', 'KEEPTTL', 'FIELDS', 1, 'f', '2.5')).toEqual([['HSET', 'h', 'f', '2.5']]);
    expect(tr(VALKEY_91, 'HSETEX', 'h', 'KEEPTTL', 'FIELDS', 1, 'f', '2.5')).toBeUndefined();
    expect(tr(REDIS_80, 'HSETEX', 'h', 'KEEPTTL', 'FIELDS', 1, 'f', '2.5')).toBeUndefined();
  });

  it('keeps field TTLs on Redis 7.4 (no HSETEX): HSET + HPEXPIREAT, or a script for KEEPTTL', () => {
    expect(tr(REDIS_74, 'HSETEX', 'h', 'PXAT', 99, 'FIELDS', 2, 'a', '1', 'b', '2'))
      .toEqual([['HSET', 'h', 'a', '1', 'b', '2'], ['HPEXPIREAT', 'h', '99', 'FIELDS', '2', 'a', 'b']]);
    const keep = tr(REDIS_74, 'HSETEX', 'h', 'KEEPTTL', 'FIELDS', 1, 'a', '1')!;
    expect(keep[0].slice(0, 1)).toEqual(['EVAL']);
    expect(keep[0].slice(2)).toEqual(['1', 'h', 'a', '1']);
    expect(tr(REDIS_74, 'HGETDEL', 'h', 'FIELDS', 2, 'a', 'b')).toEqual([['HDEL', 'h', 'a', 'b']]);
    expect(tr(REDIS_74, 'HGETEX', 'h', 'PERSIST', 'FIELDS', 1, 'a')).toEqual([['HPERSIST', 'h', 'FIELDS', '1', 'a']]);
  });

  it('fails naming the command and the key for a field TTL the destination cannot hold', () => {
    expect(() => tr(VALKEY_81, 'HSETEX', 'h', 'PXAT', 99, 'FIELDS', 1, 'a', '1')).toThrow(CommandTranslationError);
    expect(() => tr(REDIS_70, 'HPEXPIREAT', 'user:1', 99, 'FIELDS', 1, 'a')).toThrow(/HPEXPIREAT \(key "user:1"\).*Redis 7\.0\.0/);
    expect(tr(REDIS_70, 'HPERSIST', 'h', 'FIELDS', 1, 'a')).toEqual([]);
  });

  it('drops Valkey 9\'s key condition of HSETEX for Redis 8', () => {
    expect(tr(REDIS_80, 'HSETEX', 'h', 'NX', 'PXAT', 9, 'FIELDS', 1, 'a', '1')).toEqual([['HSETEX', 'h', 'PXAT', '9', 'FIELDS', '1', 'a', '1']]);
    expect(tr(VALKEY_91, 'HSETEX', 'h', 'NX', 'PXAT', 9, 'FIELDS', 1, 'a', '1')).toBeUndefined();
  });

  it('rewrites 6.2/7.0 forms for Redis 6.0', () => {
    expect(tr(REDIS_60, 'SET', 'k', 'v', 'PXAT', 123)).toEqual([['SET', 'k', 'v'], ['PEXPIREAT', 'k', '123']]);
    expect(tr(REDIS_60, 'SET', 'k', 'v', 'NX', 'EXAT', 5)).toEqual([['SET', 'k', 'v', 'NX'], ['PEXPIREAT', 'k', '5000']]);
    expect(tr(REDIS_60, 'SET', 'k', 'v')).toBeUndefined();
    expect(tr(REDIS_60, 'SET', 'k', 'v', 'KEEPTTL')).toBeUndefined();
    expect(tr(REDIS_60, 'PEXPIREAT', 'k', 5, 'GT')).toEqual([['PEXPIREAT', 'k', '5']]);
    expect(tr(REDIS_60, 'LMOVE', 'a', 'b', 'RIGHT', 'LEFT')).toEqual([['RPOPLPUSH', 'a', 'b']]);
    expect(tr(REDIS_60, 'LMOVE', 'a', 'b', 'LEFT', 'RIGHT')![0].slice(2)).toEqual(['2', 'a', 'b', 'LEFT', 'RIGHT']);
    expect(tr(REDIS_60, 'RPOP', 'l', 2)).toEqual([['RPOP', 'l'], ['RPOP', 'l']]);
    expect(tr(REDIS_60, 'XGROUP', 'SETID', 's', 'g', '1-1', 'ENTRIESREAD', 3)).toEqual([['XGROUP', 'SETID', 's', 'g', '1-1']]);
    expect(tr(REDIS_60, 'XSETID', 's', '5-0', 'ENTRIESADDED', 9, 'MAXDELETEDID', '0-0')).toEqual([['XSETID', 's', '5-0']]);
    expect(tr(REDIS_60, 'XADD', 's', 'NOMKSTREAM', 'MAXLEN', '=', 5, '1-1', 'a', 'b')).toEqual([['XADD', 's', 'MAXLEN', '=', '5', '1-1', 'a', 'b']]);
    expect(() => tr(REDIS_60, 'XADD', 's', 'MINID', '=', 5, '1-1', 'a', 'b')).toThrow(/MINID/);
    expect(() => tr(REDIS_60, 'FUNCTION', 'LOAD', 'code')).toThrow(/functions/);
    expect(tr(REDIS_70, 'FUNCTION', 'LOAD', 'code')).toBeUndefined();
  });

  it('drops SET … IFEQ (true on the source) where the destination lacks it', () => {
    expect(tr(REDIS_80, 'SET', 'k', 'new', 'IFEQ', 'old')).toEqual([['SET', 'k', 'new']]);
    expect(tr(VALKEY_81, 'SET', 'k', 'new', 'IFEQ', 'old')).toBeUndefined();
    // the comparison value is not an option
    expect(tr(REDIS_80, 'SET', 'k', 'new', 'IFEQ', 'GET')).toEqual([['SET', 'k', 'new']]);
  });

  it('needs nothing for a destination as new as the newest source', () => {
    expect(translatorFor(VALKEY_91).names.size).toBeGreaterThan(0); // Redis 8.2's stream commands
    expect([...translatorFor(v('redis', 8, 6)).names].sort()).toEqual(['DELIFEQ', 'HSETEX']);
  });

  it('vector sets (module "vectorset"): forwarded to Redis 8, the task fails naming the command and key elsewhere', () => {
    for (const argv of [['VADD', 'vs', 'VALUES', 2, 1, 2, 'e'], ['VREM', 'vs', 'e'], ['VSETATTR', 'vs', 'e', '{}']]) {
      expect(tr(REDIS_80, ...argv)).toBeUndefined();
      expect(tr(v('redis', 8, 6), ...argv)).toBeUndefined();
      for (const dest of [REDIS_70, VALKEY_81, VALKEY_91]) {
        expect(() => tr(dest, ...argv)).toThrow(new RegExp(`^the source sent ${argv[0]} \\(key "vs"\\): a write to a vector set \\(module "vectorset"\\)`));
      }
    }
  });
});

describe('the command table', () => {
  it('knows the vector-set writes and where their key is (for filters and a cluster\'s routing)', () => {
    for (const argv of [['VADD', 'vs', 'REDUCE', 2, 'FP32', 'blob', 'e', 'CAS'], ['VREM', 'vs', 'e'], ['VSETATTR', 'vs', 'e', '{}']]) {
      const buffers = argv.map((a) => Buffer.from(String(a)));
      const info = commandInfo(buffers)!;
      expect(info.kind).toBe('write');
      expect(keyPositions(info, buffers)).toEqual([1]);
    }
  });
});
