/**
 * Restoring RDB files (the shared fixtures, RDB versions 2–12 and Valkey 80) into a
 * Redis 7.0 destination, in-process and through the CLI (`--rdb FILE`), and damaged
 * files refused before anything is written.
 */
import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseRdbFile } from '../rdb';
import type { RdbEvent } from '../rdb/types';
import { RedisServer } from '../testing/redis-server';
import { canRestoreType, capabilitiesOf, restoreTypeFor } from '../writer/capabilities';
import { expectedOn70, readFileModel, readLiveModel } from './testing/rdb-file-model';
import { errorLine, runCli } from '../cli/testing/run-cli';
import { endpointOf, runTask } from './testing/run-task';
import { tempDir } from '../testing/temp-dir';

const FIXTURES = path.resolve(import.meta.dirname, '../rdb/fixtures');
const DEST_70 = capabilitiesOf({ product: 'redis', major: 7, minor: 0, patch: 15 });

/** Files whose hashes have fields with their own (future) expiry: a 7.0 destination cannot hold them. */
const FIELD_TTL_FILES = ['hash_with_hfe.rdb', 'hash_as_listpack_with_hfe.rdb', 'valkey_hash2_with_hfe.rdb'];
const ALL_FILES = fs.readdirSync(FIXTURES).filter((f) => f.endsWith('.rdb')).sort();
const RESTORABLE = ALL_FILES.filter((f) => !FIELD_TTL_FILES.includes(f));

async function readFileEvents(file: string): Promise<RdbEvent[]> {
  const out: RdbEvent[] = [];
  for await (const batch of parseRdbFile(file)) out.push(...batch);
  return out;
}

describe('restoring RDB files into Redis 7.0', () => {
  let target: RedisServer;
  let dst: Redis;
  const work = tempDir('dts-rdb-');

  beforeAll(async () => {
    target = await RedisServer.start();
    dst = target.client();
  });
  afterAll(async () => {
    dst?.disconnect();
    await target?.stop();
    fs.rmSync(work, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await dst.flushall();
    await dst.call('FUNCTION', 'FLUSH');
  });

  async function expectRestored(file: string): Promise<void> {
    const model = await readFileModel(file);
    const dbs = [...new Set([0, ...model.keys.map((k) => k.db)])];
    const live = await readLiveModel(dst, dbs);
    expect(live).toEqual(expectedOn70(model, live, (typeId) => restoreTypeFor(DEST_70, typeId, model.magic) === undefined));
    const functions = JSON.stringify(await dst.call('FUNCTION', 'LIST', 'WITHCODE'));
    for (const source of model.functions) expect(functions).toContain(JSON.stringify(source).slice(1, -1));
    if (model.functions.length === 0) expect(functions).toBe('[]');
  }

  it.each(RESTORABLE)('%s: the destination holds what the parser reads from the file', async (name) => {
    const file = path.join(FIXTURES, name);
    const run = runTask({ target: endpointOf(target), rdbFile: file });
    await run.done;
    if (run.error()) throw run.error();
    expect(run.task.progress.stage).toBe('completed');
    await expectRestored(file);
  });

  it('covers the RDB versions and types it claims to', async () => {
    const versions = new Set(ALL_FILES.map((f) => fs.readFileSync(path.join(FIXTURES, f)).subarray(0, 9).toString()));
    for (const v of ['REDIS0003', 'REDIS0009', 'REDIS0010', 'REDIS0011', 'REDIS0012', 'VALKEY080']) expect(versions).toContain(v);
    const types = new Set<number>();
    for (const f of RESTORABLE) for (const t of (await readFileModel(path.join(FIXTURES, f))).typeIds.values()) types.add(t);
    // 20 (set listpack) cannot be RESTOREd by 7.0: rewritten as SADD. 21 (stream listpacks 3)
    // neither, but it is RESTOREd as type 19 (consumer seen-time kept, active-time dropped).
    for (const t of [0, 1, 2, 3, 4, 5, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21]) expect(types).toContain(t);
    expect(canRestoreType(DEST_70, 20, 'REDIS')).toBe(false);
    expect(restoreTypeFor(DEST_70, 20, 'REDIS')).toBeUndefined();
    expect(canRestoreType(DEST_70, 21, 'REDIS')).toBe(false);
    expect(restoreTypeFor(DEST_70, 21, 'REDIS')).toBe(19);
  });

  describe('through the CLI', () => {
    it.each(['set_listpack.rdb', 'stream_listoacks_3.rdb', 'function.rdb', 'multiple_databases.rdb'])(
      '--rdb %s exits 0 and the destination holds the file', async (name) => {
        const file = path.join(FIXTURES, name);
        const r = await runCli(['--rdb', file, '--target', target.url]);
        expect(r.stderr).not.toMatch(/^error/m);
        expect(r.code).toBe(0);
        expect(r.stderr).toMatch(/done \(completed\)/);
        await expectRestored(file);
      });

    // Decision: a hash field's own expiry cannot be stored by Redis < 7.4. Writing the
    // field without it would keep data the source meant to expire, so the task fails,
    // naming the key, rather than diverge quietly.
    it.each(FIELD_TTL_FILES)('--rdb %s (hash field TTLs) fails with a clear error on 7.0', async (name) => {
      const r = await runCli(['--rdb', path.join(FIXTURES, name), '--target', target.url]);
      expect(r.code).toBe(1);
      expect(errorLine(r)).toMatch(/^error: hash ".+" has fields with their own expiry, which the destination cannot store \(use a destination running Redis 7\.4\+ or Valkey 9\+\)$/);
    });

    it('a file whose later key cannot go to 7.0 (field TTLs) writes nothing, not even the keys before it', async () => {
      const hfe = (await readFileEvents(path.join(FIXTURES, 'hash_with_hfe.rdb'))).find((e) => e.type === 'key');
      if (hfe?.type !== 'key') throw new Error('no key in hash_with_hfe.rdb');
      const rdbString = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);
      const file = path.join(work, 'mixed.rdb');
      fs.writeFileSync(file, Buffer.concat([
        Buffer.from('REDIS0012'), Buffer.from([0xfe, 0x00]),
        Buffer.from([0x00]), rdbString(Buffer.from('first')), rdbString(Buffer.from('1')),
        Buffer.from([hfe.typeId]), rdbString(hfe.key), hfe.raw,
        Buffer.from([0xff]), Buffer.alloc(8),
      ]));
      const r = await runCli(['--rdb', file, '--target', target.url]);
      expect(r.code).toBe(1);
      expect(errorLine(r)).toMatch(/^error: hash "hash-hfe" has fields with their own expiry/);
      expect(await dst.dbsize()).toBe(0);
    });

    it('refuses a truncated file with the reason, writing nothing', async () => {
      const whole = fs.readFileSync(path.join(FIXTURES, 'stream_listpacks_1.rdb'));
      const cut = path.join(work, 'truncated.rdb');
      fs.writeFileSync(cut, whole.subarray(0, Math.floor(whole.length * 0.6)));
      const r = await runCli(['--rdb', cut, '--target', target.url, '--json']);
      expect(r.code).toBe(1);
      expect(errorLine(r)).toMatch(new RegExp(`^error: the RDB file ${cut} is not usable, nothing was written: .*(cut short|ended|truncated)`, 'i'));
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; message?: string });
      expect(events.at(-1)).toMatchObject({ type: 'error' });
      expect(await dst.dbsize()).toBe(0);
    });

    it('refuses a file with a flipped bit with the reason, writing nothing', async () => {
      const bytes = Buffer.from(fs.readFileSync(path.join(FIXTURES, 'listpack.rdb')));
      const at = Math.floor(bytes.length / 2);
      bytes[at] ^= 0x10;
      const flipped = path.join(work, 'flipped.rdb');
      fs.writeFileSync(flipped, bytes);
      const r = await runCli(['--rdb', flipped, '--target', target.url]);
      expect(r.code).toBe(1);
      expect(errorLine(r)).toMatch(/not usable, nothing was written: .*(checksum|CRC|corrupt|damaged|invalid)/i);
      expect(await dst.dbsize()).toBe(0);
    });

    it('refuses a file that is not an RDB, and a missing file', async () => {
      const text = path.join(work, 'notes.txt');
      fs.writeFileSync(text, 'hello, this is not a snapshot\n');
      const r = await runCli(['--rdb', text, '--target', target.url]);
      expect(r.code).toBe(1);
      expect(errorLine(r)).toMatch(/not usable, nothing was written: .*RDB/i);
      const missing = await runCli(['--rdb', path.join(work, 'nope.rdb'), '--target', target.url]);
      expect(missing.code).toBe(1);
      expect(errorLine(missing)).toMatch(/^error: cannot read the RDB file .*nope\.rdb/);
    });

    it('conflict block: a destination with keys stops the restore before writing', async () => {
      await dst.select(2);
      await dst.set('already-here', '1');
      await dst.select(0);
      const r = await runCli(['--rdb', path.join(FIXTURES, 'multiple_databases.rdb'), '--target', target.url]);
      expect(r.code).toBe(1);
      expect(errorLine(r)).toMatch(/Destination Object Data Existence Check failed: .*DB 2 \(e\.g\. "already-here"\)/);
      expect(await dst.dbsize()).toBe(0);
      await dst.select(2);
      expect(await dst.dbsize()).toBe(1);
      await dst.select(0);
      const over = await runCli(['--rdb', path.join(FIXTURES, 'multiple_databases.rdb'), '--target', target.url, '--conflict', 'overwrite']);
      expect(over.code).toBe(0);
      await dst.select(2);
      expect(await dst.get('key_in_second_database')).toBe('second');
      expect(await dst.get('already-here')).toBe('1');
      await dst.select(0);
    });
  });
});
