/**
 * Which value types a destination RESTOREs, read from the RDB type table: a type travels to
 * servers whose RDB version has it, a Redis-only or Valkey-only type only to its own family.
 */
import { describe, expect, it } from 'vitest';
import { capabilitiesOf, loadsModuleType, restoreTypeFor, type ServerVersion } from './capabilities';

const dest = (product: ServerVersion['product'], major: number, minor: number) => capabilitiesOf({ product, major, minor, patch: 0 });

describe('restoreTypeFor', () => {
  it('gives a type to servers whose RDB version has it, and rewrites it for older ones', () => {
    expect(restoreTypeFor(dest('redis', 7, 2), 20, 'REDIS')).toBe(20);
    expect(restoreTypeFor(dest('redis', 7, 0), 20, 'REDIS')).toBeUndefined();
    expect(restoreTypeFor(dest('redis', 6, 2), 15, 'REDIS')).toBe(15);
    expect(restoreTypeFor(dest('redis', 6, 2), 16, 'REDIS')).toBeUndefined();
    expect(restoreTypeFor(dest('redis', 3, 2), 14, 'REDIS')).toBe(14);
  });

  it('rewrites ZSET_2 and MODULE_2 for servers before 4.0 (RDB 8 brought them)', () => {
    expect(restoreTypeFor(dest('redis', 4, 0), 5, 'REDIS')).toBe(5);
    expect(restoreTypeFor(dest('redis', 3, 2), 5, 'REDIS')).toBeUndefined();
    expect(restoreTypeFor(dest('redis', 3, 2), 7, 'REDIS')).toBeUndefined();
  });

  it('never RESTOREs a pre-GA module value or a zipmap', () => {
    expect(restoreTypeFor(dest('redis', 8, 0), 6, 'REDIS')).toBeUndefined();
    expect(restoreTypeFor(dest('redis', 8, 0), 9, 'REDIS')).toBeUndefined();
  });

  it('sends a type 21 stream as 19 to Redis 7.0', () => {
    expect(restoreTypeFor(dest('redis', 7, 0), 21, 'REDIS')).toBe(19);
    expect(restoreTypeFor(dest('redis', 6, 2), 21, 'REDIS')).toBeUndefined();
  });

  it('keeps type 22 to its family: Redis 7.4 hashes to Redis, Valkey HASH_2 to Valkey 9', () => {
    expect(restoreTypeFor(dest('redis', 7, 4), 24, 'REDIS')).toBe(24);
    expect(restoreTypeFor(dest('valkey', 9, 0), 24, 'REDIS')).toBeUndefined();
    expect(restoreTypeFor(dest('valkey', 9, 0), 22, 'VALKEY')).toBe(22);
    expect(restoreTypeFor(dest('redis', 8, 0), 22, 'VALKEY')).toBeUndefined();
    expect(restoreTypeFor(dest('valkey', 8, 1), 22, 'VALKEY')).toBeUndefined();
    // Valkey 9 loads every type Valkey 8 (RDB 11) wrote, whichever file it came from.
    expect(restoreTypeFor(dest('valkey', 9, 0), 21, 'REDIS')).toBe(21);
  });
});

describe('loadsModuleType', () => {
  const at = (product: ServerVersion['product'], major: number, minor: number, modules?: string[]) =>
    capabilitiesOf({ product, major, minor, patch: 0 }, modules);

  it('knows from MODULE LIST, or from the modules built into the version when MODULE LIST was refused', () => {
    expect(loadsModuleType(at('redis', 8, 0, ['vectorset']), 'vectorset')).toBe(true);
    expect(loadsModuleType(at('redis', 8, 0), 'vectorset')).toBe(true); // built in, MODULE LIST refused
    expect(loadsModuleType(at('redis', 7, 0, []), 'vectorset')).toBe(false);
    expect(loadsModuleType(at('valkey', 9, 1, []), 'vectorset')).toBe(false);
    expect(loadsModuleType(at('redis', 7, 0), 'vectorset')).toBeUndefined(); // not known: RESTORE tells
    expect(loadsModuleType(at('redis', 7, 2, ['ReJSON']), 'ReJSON-RL')).toBe(true);
    expect(loadsModuleType(at('redis', 7, 2, ['ReJSON']), 'MBbloom--')).toBe(false);
    expect(at('redis', 8, 0, ['ReJSON']).modules).toEqual(['vectorset', 'ReJSON']);
  });
});
