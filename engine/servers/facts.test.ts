/**
 * One set of server facts: the precheck and the parser agree on which snapshots the engine
 * reads (RDB 1–14, Valkey 80–81), and RESTORE's rules across families (issue 14).
 */
import { describe, expect, it } from 'vitest';
import { parseRdb } from '../rdb';
import {
  builtinModules, hasFeature, moduleNamesOf, moduleOfType, parseServerVersion, parserReads, typesOfModule, rdbMagicOf, rdbVersionOf, readsSnapshotOf, restoreAccepts, unreadableSnapshot,
  type ServerVersion,
} from './facts';

const v = (product: ServerVersion['product'], major: number, minor: number): ServerVersion => ({ product, major, minor, patch: 0 });

/** What the parser says about an empty snapshot of that header: undefined when it reads it. */
async function parserVerdict(header: string): Promise<string | undefined> {
  const rdb = Buffer.concat([Buffer.from(header, 'latin1'), Buffer.from([0xff]), Buffer.alloc(8)]);
  try {
    for await (const _ of parseRdb((async function* () { yield rdb; })())) { /* drain */ }
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

const SERVERS: ServerVersion[] = [
  v('redis', 2, 8), v('redis', 3, 2), v('redis', 4, 0), v('redis', 5, 0), v('redis', 6, 0), v('redis', 6, 2), v('redis', 7, 0),
  v('redis', 7, 2), v('redis', 7, 4), v('redis', 8, 0), v('redis', 8, 2), v('redis', 8, 4), v('redis', 8, 6), v('redis', 8, 8),
  v('valkey', 7, 2), v('valkey', 8, 0), v('valkey', 8, 1), v('valkey', 9, 0), v('valkey', 9, 1), v('valkey', 9, 2),
];

describe('server facts', () => {
  it('the precheck refuses exactly the sources whose snapshot the parser refuses, naming the RDB version', async () => {
    for (const s of SERVERS) {
      const magic = rdbMagicOf(s);
      const version = rdbVersionOf(s);
      const header = magic === 'VALKEY' ? `VALKEY${String(version).padStart(3, '0')}` : `REDIS${String(version).padStart(4, '0')}`;
      const parser = await parserVerdict(header);
      const precheck = unreadableSnapshot(s);
      expect({ s, refused: parser !== undefined }).toEqual({ s, refused: precheck !== undefined });
      if (precheck) {
        expect(precheck).toContain(`RDB version ${version}`);
        expect(parser).toContain(`version ${version}`);
      }
    }
    // Every RDB version 1–14 and Valkey 80–81 has one answer.
    for (let n = 1; n <= 14; n++) expect(parserReads('REDIS', n)).toBe(n <= 13);
    expect(parserReads('VALKEY', 80) && parserReads('VALKEY', 81)).toBe(true);
  });

  it('Redis 8.6 (RDB 13) is read; Redis 8.8 (RDB 14) fails the precheck as the parser fails its snapshot', async () => {
    expect(unreadableSnapshot(v('redis', 8, 6))).toBeUndefined();
    expect(await parserVerdict('REDIS0013')).toBeUndefined();
    expect(unreadableSnapshot(v('redis', 8, 8))).toMatch(/Redis 8\.8\.0 writes RDB version 14/);
    expect(await parserVerdict('REDIS0014')).toMatch(/unsupported RDB version 14 \(written by Redis 8\.8\)/);
  });

  it('Valkey 9 into Redis 7.4 is not "reads the source\'s RDB": each family refuses the other\'s new formats', () => {
    expect(readsSnapshotOf(v('redis', 7, 4), v('valkey', 9, 0))).toBe(false);
    expect(readsSnapshotOf(v('valkey', 9, 1), v('redis', 7, 4))).toBe(false);
    expect(readsSnapshotOf(v('valkey', 9, 1), v('redis', 7, 2))).toBe(true);
    expect(readsSnapshotOf(v('redis', 8, 0), v('valkey', 8, 1))).toBe(true);
    expect(restoreAccepts(v('valkey', 9, 0), 12)).toBe(false);
    expect(restoreAccepts(v('valkey', 9, 0), 80)).toBe(true);
    expect(restoreAccepts(v('redis', 3, 2), 6)).toBe(false);
  });

  it('features by family: Valkey has what Redis 7.2 had, and its own', () => {
    expect(hasFeature(v('valkey', 8, 1), 'lmove')).toBe(true);
    expect(hasFeature(v('valkey', 8, 1), 'fieldTtl')).toBe(false);
    expect(hasFeature(v('valkey', 9, 0), 'fieldTtl')).toBe(true);
    expect(hasFeature(v('redis', 7, 4), 'fieldTtl')).toBe(true);
    expect(hasFeature(v('redis', 7, 4), 'hsetex')).toBe(false);
    expect(hasFeature(v('valkey', 8, 1), 'setIfeq')).toBe(true);
    expect(hasFeature(v('redis', 8, 0), 'setIfeq')).toBe(false);
    expect(hasFeature(v('redis', 6, 0), 'setAbsoluteExpiry')).toBe(false);
  });

  it('reads the product\'s own version from INFO', () => {
    expect(parseServerVersion('redis_version:7.2.4\r\nserver_name:valkey\r\nvalkey_version:9.1.2\r\n')).toEqual(v('valkey', 9, 1) && { product: 'valkey', major: 9, minor: 1, patch: 2 });
    expect(parseServerVersion({ redis_version: '8.0.6' })).toEqual({ product: 'redis', major: 8, minor: 0, patch: 6 });
  });

  it('modules: vector sets are built into Redis 8 only; module types map to the names MODULE LIST gives', () => {
    expect(builtinModules(v('redis', 8, 0))).toEqual(['vectorset']);
    expect(builtinModules(v('redis', 8, 6))).toEqual(['vectorset']);
    for (const none of [v('redis', 7, 4), v('valkey', 8, 1), v('valkey', 9, 1)]) expect(builtinModules(none)).toEqual([]);
    expect(moduleOfType('vectorset')).toBe('vectorset');
    expect(moduleOfType('ReJSON-RL')).toBe('ReJSON');
    expect(moduleOfType('MBbloomCF')).toBe('bf');
    expect(moduleOfType('dtsprobe1')).toBe('dtsprobe1');
    expect(typesOfModule('vectorset')).toEqual(['vectorset']);
    expect(typesOfModule('unknownmod')).toEqual([]);
    // MODULE LIST as ioredis returns it (RESP2), and what is not one.
    expect(moduleNamesOf([['name', 'vectorset', 'ver', 1, 'path', '', 'args', []], ['name', 'ReJSON', 'ver', 20000]])).toEqual(['vectorset', 'ReJSON']);
    expect(moduleNamesOf([])).toEqual([]);
    expect(moduleNamesOf(new Error('ERR unknown command'))).toBeUndefined();
  });
});
