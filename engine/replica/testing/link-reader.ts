/**
 * Reading what a ReplicaLink delivers in the link's tests: the whole snapshot, the
 * replicated commands one at a time or up to an offset, and the data commands
 * among them (the master's PING / REPLCONF GETACK left out).
 */
import { withTimeout } from '../../testing/wait';
import { isReplicationControl, type ReplCommand, type ReplicaLink } from '../link';

export async function collectRdb(link: ReplicaLink): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of link.rdb()) parts.push(chunk);
  return Buffer.concat(parts);
}

/** Pulls commands from one long-lived iterator of `link.commands()`. */
export class CommandReader {
  private readonly it: AsyncIterator<ReplCommand>;
  readonly all: ReplCommand[] = [];

  constructor(private readonly link: ReplicaLink) {
    this.it = link.commands()[Symbol.asyncIterator]();
  }

  async next(timeoutMs = 10_000): Promise<ReplCommand> {
    const r = await withTimeout(this.it.next(), timeoutMs, 'next replicated command');
    if (r.done) throw new Error('command stream ended');
    this.all.push(r.value);
    return r.value;
  }

  /** Reads until a command ends exactly at `offset` (throws if it passes it). */
  async until(offset: number, timeoutMs = 20_000): Promise<ReplCommand[]> {
    const deadline = Date.now() + timeoutMs;
    const got: ReplCommand[] = [];
    for (;;) {
      const at = got.at(-1)?.offset ?? this.link.deliveredOffset;
      if (at === offset) return got;
      if (at > offset) throw new Error(`passed offset ${offset} (at ${at}) without a command ending there`);
      got.push(await this.next(Math.max(1, deadline - Date.now())));
    }
  }

  async return(): Promise<void> {
    await this.it.return?.();
  }
}

/** Data commands as strings (the master's PING / REPLCONF GETACK filtered out). */
export function dataCommands(cmds: ReplCommand[]): string[] {
  return cmds
    .filter((c) => !isReplicationControl(c.argv))
    .map((c) => c.argv.map((a, i) => (i === 0 ? a.toString().toUpperCase() : a.toString())).join(' '));
}
