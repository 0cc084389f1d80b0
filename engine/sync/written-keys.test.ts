/**
 * StreamApplier's onKeyWritten hook (Incremental Data Verification): the source DB
 * of each key, MULTI blocks reported at EXEC with the DBs selected inside them,
 * MOVE/COPY in the DBs they touch, keyless and dropped commands left out.
 */
import { describe, expect, it } from 'vitest';
import { EntryFilter } from '../filter';
import type { RespArg } from '../resp';
import { capabilitiesOf } from '../writer/capabilities';
import { StreamApplier, type ApplierSink } from './stream-applier';

class NullSink implements ApplierSink {
  readonly destination = capabilitiesOf({ product: 'redis', major: 7, minor: 0, patch: 15 });
  readonly writes: string[] = [];
  selectDb(): void {}
  write(argv: RespArg[]): undefined {
    this.writes.push(argv.map(String).join(' '));
    return undefined;
  }
  advance(): void {}
}

const b = (...args: string[]) => args.map((a) => Buffer.from(a));

describe('StreamApplier onKeyWritten', () => {
  it('reports what the applier wrote, after it wrote it, with the DB selected in the stream', async () => {
    const seen: string[] = [];
    const sink = new NullSink();
    const applier = new StreamApplier(sink, {
      filter: new EntryFilter({ dbs: [0, 1, 2, 5, 7] }),
      log: () => undefined,
      onKeyWritten: (db, key) => seen.push(`${db}:${key.toString()}`),
    });
    let offset = 0;
    const apply = (...argv: string[]) => applier.apply({ argv: b(...argv), offset: (offset += 10) });
    await apply('SET', 'a', '1');
    expect(seen).toEqual(['0:a']);
    expect(sink.writes).toEqual(['SET a 1']);
    await apply('MSET', 'm1', '1', 'm2', '2');
    await apply('RENAME', 'm1', 'm3');
    expect(seen.slice(1)).toEqual(['0:m1', '0:m2', '0:m1', '0:m3']);
    seen.length = 0;
    await apply('SELECT', '1');
    await apply('MULTI');
    await apply('SET', 'b', '1');
    await apply('SELECT', '2');
    await apply('HSET', 'c', 'f', 'v');
    expect(seen).toEqual([]); // held until EXEC, like the writes
    await apply('EXEC');
    expect(seen).toEqual(['1:b', '2:c']);
    seen.length = 0;
    await apply('MOVE', 'k', '5');
    await apply('COPY', 'src', 'dst', 'DB', '7');
    await apply('FLUSHDB');
    await apply('PING');
    await apply('PUBLISH', 'ch', 'm');
    expect(seen).toEqual(['2:k', '5:k', '7:dst']);
    await apply('SELECT', '3'); // a DB the task does not carry
    await apply('SET', 'ignored', '1');
    expect(seen).toEqual(['2:k', '5:k', '7:dst']);
  });
});
