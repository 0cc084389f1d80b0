/**
 * Keys read again after a change, turned into the commands that make the destination
 * hold them: the KeyWriter's own choice per key (SET / MSET, RESTORE … ABSTTL where the
 * destination loads the payload, commands where it cannot), and a DEL for a key gone
 * (deleted, expired, evicted) — collected rather than written, so they go through the
 * stream applier with the filter, the DB mapping, the destination's translations, the
 * units with the task's record, and the written-key hook of incremental verification.
 */
import { parseRdbBuffer } from '../../../rdb';
import { argvBuffers } from '../../../resp';
import type { DestinationCapabilities } from '../../../writer/capabilities';
import { KeyWriter } from '../../../writer/key-writer';
import type { CommandSink } from '../../../writer/types';
import { keyRecords, magicOfVersion, payloadVersion, rdbEof, rdbHeader, selectDbRecord, type KeyRead } from './dump-rdb';

const DEL = Buffer.from('DEL');
const SELECT = Buffer.from('SELECT');

export class ChangeWriter {
  constructor(private readonly destination: DestinationCapabilities, private readonly cluster: boolean) {}

  /** The commands for `reads` of source DB `db`, in source DB numbering (the applier maps them). */
  async commands(db: number, reads: readonly KeyRead[]): Promise<Buffer[][]> {
    const out: Buffer[][] = [[SELECT, Buffer.from(String(db))]];
    const present = reads.filter((r) => r.payload !== null);
    for (const r of reads) if (r.payload === null) out.push([DEL, r.key]);
    const first = present[0]?.payload;
    if (!first) return out;
    const version = payloadVersion(first);
    const magic = magicOfVersion(version);
    const sink: CommandSink = {
      selectDb: (to) => { out.push([SELECT, Buffer.from(String(to))]); },
      write: (argv) => { out.push(argvBuffers(argv)); return undefined; },
      destination: this.destination,
    };
    // The expiry is extended by the applier (as for the stream), not here; a key is one RESTORE however big (it was one DUMP).
    const keys = new KeyWriter(sink, magic, { ttlExtendMs: 0, cluster: this.cluster });
    const rdb = Buffer.concat([rdbHeader(magic, version), selectDbRecord(db), keyRecords(present), rdbEof()]);
    for (const e of parseRdbBuffer(rdb, { bigKeyThreshold: Number.MAX_SAFE_INTEGER, lazyValues: true })) {
      if (e.type !== 'key') continue;
      const skipped = keys.stats.expiredSkipped;
      await keys.writeKey(e, db);
      // Expired between the read and now: the destination must not keep an older value.
      if (keys.stats.expiredSkipped > skipped) out.push([DEL, e.key]);
    }
    await keys.flush();
    return out;
  }
}
