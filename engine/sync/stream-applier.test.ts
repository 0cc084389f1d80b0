/**
 * StreamApplier on its own: what it writes for a replicated command stream, with a
 * recording sink in place of the destination.
 */
import { describe, expect, it } from 'vitest';
import { DtsError } from '../errors';
import { EntryFilter, type FilterOptions } from '../filter';
import type { RespArg } from '../resp';
import { capabilitiesOf } from '../writer/capabilities';
import type { StreamPosition } from '../writer/types';
import { StreamApplier, type ApplierSink } from './stream-applier';

class RecordingSink implements ApplierSink {
  db = 0;
  readonly writes: string[] = [];
  readonly advanced: StreamPosition[] = [];
  readonly destination = capabilitiesOf({ product: 'redis', major: 7, minor: 0, patch: 15 });

  selectDb(db: number): void {
    this.db = db;
  }

  write(argv: RespArg[]): undefined {
    this.writes.push(`${this.db}: ${argv.map((a) => (Buffer.isBuffer(a) ? a.toString() : String(a))).join(' ')}`);
    return undefined;
  }

  advance(mark: StreamPosition): void {
    this.advanced.push(mark);
  }
}

function setup(filter: FilterOptions = {}, extra: { sourceDatabases?: number; onHeartbeat?: (t: number) => void } = {}) {
  const sink = new RecordingSink();
  const logs: string[] = [];
  const applier = new StreamApplier(sink, {
    filter: new EntryFilter(filter),
    heartbeatKey: 'DTS_REDIS_TIMESTAMP_HEARTBEAT_t1',
    log: (level, message) => logs.push(`${level}: ${message}`),
    ...extra,
  });
  let offset = 0;
  const apply = async (...argv: string[]) => {
    offset += 10;
    await applier.apply({ argv: argv.map((a) => Buffer.from(a)), offset });
  };
  return { sink, applier, apply, logs };
}

async function rejection(p: Promise<unknown>): Promise<DtsError> {
  const err = await p.then(() => undefined, (e: unknown) => e);
  if (!(err instanceof DtsError)) throw new Error(`expected a DtsError, got ${String(err)}`);
  return err;
}

describe('StreamApplier', () => {
  it('fails on a command it cannot replay, naming it — alone or inside MULTI/EXEC', async () => {
    const a = setup();
    await a.apply('SET', 'k', 'v');
    const err = await rejection(a.apply('BF.ADD', 'filter', 'item'));
    expect(err.code).toBe('UNSUPPORTED_COMMAND');
    expect(err.message).toMatch(/^the source sent BF\.ADD, which this engine cannot replay/);
    expect(a.sink.writes).toEqual(['0: SET k v']);

    const b = setup();
    await b.apply('MULTI');
    await b.apply('SET', 'k', 'v');
    await b.apply('PFDEBUG', 'TODENSE', 'hll');
    const inBlock = await rejection(b.apply('EXEC'));
    expect(inBlock.code).toBe('UNSUPPORTED_COMMAND');
    expect(inBlock.message).toContain('PFDEBUG');
  });

  it('keeps MULTI/EXEC whole, follows SELECT inside it, and drops PUBLISH and the heartbeat', async () => {
    const seen: number[] = [];
    const a = setup({}, { onHeartbeat: (t) => seen.push(t) });
    await a.apply('SELECT', '3');
    await a.apply('MULTI');
    await a.apply('INCR', 'n');
    await a.apply('SELECT', '5');
    await a.apply('SET', 'x', '1');
    await a.apply('EXEC');
    await a.apply('PUBLISH', 'chan', 'msg');
    await a.apply('SET', 'DTS_REDIS_TIMESTAMP_HEARTBEAT_t1', '1700000000000', 'PX', '30000');
    await a.apply('DEL', 'y');
    expect(a.sink.writes[0]).toMatch(/^\d+: MULTI$/); // (MULTI itself is not DB-bound)
    expect(a.sink.writes.slice(1)).toEqual(['3: INCR n', '5: SET x 1', '5: EXEC', '5: DEL y']);
    expect(a.applier.currentDb).toBe(5);
    expect(seen).toEqual([1700000000000]);
    // Dropped commands still move the checkpoint.
    expect(a.sink.advanced.map((m) => m.offset)).toEqual([10, 70, 80]);
  });

  it('skips a transaction that touches nothing the task carries', async () => {
    const a = setup({ includePrefixes: ['a:'] });
    await a.apply('MULTI');
    await a.apply('SET', 'b:1', 'x');
    await a.apply('EXEC');
    expect(a.sink.writes).toEqual([]);
    expect(a.sink.advanced.at(-1)?.offset).toBe(30);
  });

  it('FLUSHALL empties every mapped destination DB and nothing else', async () => {
    // All source DBs carried, unmapped: a plain FLUSHALL is exact.
    const all = setup();
    await all.apply('FLUSHALL', 'ASYNC');
    expect(all.sink.writes).toEqual(['0: FLUSHALL ASYNC']);

    // All 4 source DBs carried, DB 0 written into DB 1: destination DB 0 is nobody's.
    const moved = setup({ dbMap: new Map([[0, 1]]) }, { sourceDatabases: 4 });
    await moved.apply('FLUSHALL');
    expect(moved.sink.writes).toEqual(['1: FLUSHDB', '2: FLUSHDB', '3: FLUSHDB']);

    const some = setup({ dbs: [2, 0], dbMap: new Map([[0, 9]]) });
    await some.apply('FLUSHALL', 'SYNC');
    expect(some.sink.writes).toEqual(['2: FLUSHDB SYNC', '9: FLUSHDB SYNC']);
    expect(some.logs.join('\n')).toMatch(/FLUSHALL on the source: emptied destination DB\(s\) 2, 9/);
  });

  it('FLUSHDB of an unselected DB is ignored; of a selected one empties its mapped DB', async () => {
    const a = setup({ dbs: [1], dbMap: new Map([[1, 4]]) });
    await a.apply('FLUSHDB');
    await a.apply('SELECT', '1');
    await a.apply('FLUSHDB');
    expect(a.sink.writes).toEqual(['4: FLUSHDB']);
  });

  it('refuses what the destination cannot follow exactly', async () => {
    const a = setup({ includePrefixes: ['a:'] });
    const rename = await rejection(a.apply('RENAME', 'a:1', 'b:1'));
    expect(rename.code).toBe('CROSS_FILTER_COMMAND');
    expect(rename.message).toMatch(/^RENAME touches keys inside and outside the task's key filter \(a:1, b:1\)/);

    const b = setup({ dbs: [0] });
    await b.apply('SELECT', '3');
    const move = await rejection(b.apply('MOVE', 'k', '0'));
    expect(move.code).toBe('MOVE_INTO_TASK');

    const c = setup({ dbs: [0] });
    await c.apply('SELECT', '3');
    const copy = await rejection(c.apply('COPY', 'k', 'k2', 'DB', '0'));
    expect(copy.code).toBe('COPY_INTO_TASK');
  });

  it('cuts per-key commands down to the keys the task carries', async () => {
    const a = setup({ excludePrefixes: ['tmp:'] });
    await a.apply('DEL', 'a', 'tmp:b', 'c');
    await a.apply('MSET', 'tmp:x', '1', 'y', '2');
    expect(a.sink.writes).toEqual(['0: DEL a c', '0: MSET y 2']);
  });

  it('maps DB numbers inside MOVE, COPY and SWAPDB', async () => {
    const a = setup({ dbs: [0, 2], dbMap: new Map([[0, 1], [2, 5]]) });
    await a.apply('MOVE', 'k', '2');
    await a.apply('COPY', 'k', 'k2', 'DB', '2', 'REPLACE');
    await a.apply('SWAPDB', '0', '2');
    expect(a.sink.writes).toEqual(['1: MOVE k 5', '1: COPY k k2 DB 5 REPLACE', '1: SWAPDB 1 5']);
  });
});
