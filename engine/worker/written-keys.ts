/**
 * Which keys the replication stream writes, for Incremental Data Verification,
 * observed from outside the sync engine: `watchWrittenKeys` wraps the public
 * `StreamApplier.apply` of this process (a task worker runs one task) and calls
 * back with the source DB and key of every keyed command once the applier has
 * handed it to the writer. Commands inside MULTI/EXEC are reported at EXEC, with
 * the DB selected inside the block. Keyless commands (FLUSHDB, SWAPDB, scripts)
 * name no key and are not reported; MOVE and COPY report the key in both DBs.
 * The filter is not applied here: IncrementalVerifier.noteWrite ignores keys the
 * task does not carry.
 */
import { commandInfo, commandName, keyPositions } from '../commands/table';
import { StreamApplier, type StreamCommand } from '../sync/stream-applier';

export type WrittenKeyListener = (db: number, key: Buffer) => void;

interface Written {
  db: number;
  key: Buffer;
}

/** The keys one command writes, `db` being the source DB selected when it runs. */
export function keysWritten(argv: readonly Buffer[], db: number): Written[] {
  const info = commandInfo(argv);
  if (!info || info.kind === 'drop' || info.kind === 'global') return [];
  const name = commandName(argv);
  if (name === 'MOVE') {
    const to = Number(argv[2]?.toString('latin1'));
    return argv[1] ? [{ db, key: argv[1] }, ...(Number.isInteger(to) ? [{ db: to, key: argv[1] }] : [])] : [];
  }
  if (name === 'COPY') {
    const at = argv.findIndex((a, i) => i > 2 && a.toString('latin1').toUpperCase() === 'DB');
    const to = at > 0 ? Number(argv[at + 1]?.toString('latin1')) : db;
    return argv[2] && Number.isInteger(to) ? [{ db: to, key: argv[2] }] : [];
  }
  if (info.kind === 'control') return [];
  return keyPositions(info, argv).map((i) => ({ db, key: argv[i] }));
}

interface BlockState {
  /** The DB selected inside the open MULTI block. */
  db: number;
  keys: Written[];
}

let installed: WrittenKeyListener | undefined;

/**
 * Calls `listener` for every key the stream writes in this process. One listener
 * per process; calling again replaces it. Returns the function that stops it.
 */
export function watchWrittenKeys(listener: WrittenKeyListener): () => void {
  const first = installed === undefined;
  installed = listener;
  if (first) {
    const apply = StreamApplier.prototype.apply;
    const blocks = new WeakMap<StreamApplier, BlockState>();
    StreamApplier.prototype.apply = async function (this: StreamApplier, cmd: StreamCommand): Promise<void> {
      const name = commandName(cmd.argv);
      const block = blocks.get(this);
      let done: Written[] = [];
      if (name === 'MULTI') {
        blocks.set(this, { db: this.currentDb, keys: [] });
      } else if (name === 'EXEC') {
        blocks.delete(this);
        done = block?.keys ?? [];
      } else if (block) {
        if (name === 'SELECT') block.db = Number(cmd.argv[1]?.toString('latin1'));
        else block.keys.push(...keysWritten(cmd.argv, block.db));
      } else if (name !== 'SELECT') {
        done = keysWritten(cmd.argv, this.currentDb);
      }
      await apply.call(this, cmd);
      const notify = installed;
      if (notify) for (const w of done) notify(w.db, w.key);
    };
  }
  return () => {
    if (installed === listener) installed = () => undefined;
  };
}
