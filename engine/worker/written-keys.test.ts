/**
 * The task worker's view of the keys the stream writes (for Incremental Data
 * Verification): the source DB of each key, MULTI blocks reported at EXEC with
 * the DBs selected inside them, MOVE/COPY, keyless commands left out.
 */
import { describe, expect, it } from 'vitest';
import { EntryFilter } from '../filter';
import type { RespArg } from '../resp';
import { StreamApplier, type ApplierSink } from '../sync/stream-applier';
import { capabilitiesOf } from '../writer/capabilities';
import { keysWritten, watchWrittenKeys } from './written-keys';

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

describe('written keys', () => {
  it('names the keys of one command in the DB it runs in', () => {
    const names = (argv: Buffer[], db = 0) => keysWritten(argv, db).map((w) => `${w.db}:${w.key.toString()}`);
    expect(names(b('MSET', 'a', '1', 'b', '2'), 3)).toEqual(['3:a', '3:b']);
    expect(names(b('RENAME', 'a', 'b'))).toEqual(['0:a', '0:b']);
    expect(names(b('MOVE', 'k', '5'), 1)).toEqual(['1:k', '5:k']);
    expect(names(b('COPY', 'src', 'dst', 'DB', '7'), 1)).toEqual(['7:dst']);
    expect(names(b('COPY', 'src', 'dst'), 2)).toEqual(['2:dst']);
    for (const cmd of [b('FLUSHDB'), b('SWAPDB', '0', '1'), b('PING'), b('PUBLISH', 'ch', 'm'), b('SCRIPT', 'FLUSH'), b('NOSUCH', 'x')]) {
      expect(names(cmd)).toEqual([]);
    }
  });

  it('reports what the applier wrote, after it wrote it, with the DB selected in the stream', async () => {
    const seen: string[] = [];
    const stop = watchWrittenKeys((db, key) => seen.push(`${db}:${key.toString()}`));
    try {
      const sink = new NullSink();
      const applier = new StreamApplier(sink, { filter: new EntryFilter({}), log: () => undefined });
      let offset = 0;
      const apply = (...argv: string[]) => applier.apply({ argv: b(...argv), offset: (offset += 10) });
      await apply('SET', 'a', '1');
      expect(seen).toEqual(['0:a']);
      expect(sink.writes).toEqual(['SET a 1']);
      await apply('SELECT', '1');
      await apply('MULTI');
      await apply('SET', 'b', '1');
      await apply('SELECT', '2');
      await apply('HSET', 'c', 'f', 'v');
      expect(seen).toEqual(['0:a']); // held until EXEC, like the writes
      await apply('EXEC');
      expect(seen).toEqual(['0:a', '1:b', '2:c']);
      await apply('DEL', 'd', 'e');
      await apply('PING');
      expect(seen).toEqual(['0:a', '1:b', '2:c', '2:d', '2:e']);
    } finally {
      stop();
    }
    await new StreamApplier(new NullSink(), { filter: new EntryFilter({}), log: () => undefined }).apply({ argv: b('SET', 'x', '1'), offset: 1 });
    expect(seen.at(-1)).toBe('2:e'); // stopped
  });
});
