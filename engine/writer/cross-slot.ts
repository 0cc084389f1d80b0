/**
 * Commands whose keys hash to different slots, on a cluster destination, keep
 * their meaning (PRODUCT.md): per-key commands (DEL, UNLINK, TOUCH, EXISTS, MSET)
 * are split by slot; any other is emulated from the destination's own data — its
 * keys are copied (DUMP/RESTORE, expiry kept) into temporary keys sharing one
 * slot, the command runs there, and each key's new value (or its absence) is
 * copied back. The engine is the destination's only writer, so reading the keys
 * after everything sent before is answered sees what the command saw.
 */
import { tagForSlot, keySlot } from '../cluster/slot';
import { commandName } from '../commands/table';
import { RespErrorReply, type RespArg, type RespValue } from '../resp';
import { printable, rejectedWrite } from './errors';
import type { StreamPosition } from './types';

/** Per-key commands that can be split by slot without changing their result (keys and the values after each). */
const SPLITTABLE: Record<string, number> = { DEL: 1, UNLINK: 1, TOUCH: 1, EXISTS: 1, MSET: 2 };

/** What the cluster writer lends the emulation. */
export interface CrossSlotHost {
  address(): string;
  /** One single-slot write, in order with the others. */
  writeOne(argv: RespArg[], mark?: StreamPosition): Promise<void> | undefined;
  advance(mark: StreamPosition): void;
  /** Resolves once every node has answered everything sent so far. */
  quiesce(): Promise<void>;
  /** A command whose reply is needed, sent to the master serving `slot`. */
  callInSlot(slot: number, argv: RespArg[]): Promise<RespValue>;
  callForKey(key: Buffer, argv: RespArg[]): Promise<RespValue>;
  log(level: 'info' | 'warn', message: string): void;
}

export class CrossSlotCommands {
  private readonly slotTags = new Map<number, string>();
  private emulations = 0;

  constructor(private readonly host: CrossSlotHost) {}

  /** Split it, or emulate it on co-located copies. */
  async write(argv: RespArg[], buffers: Buffer[], positions: number[], mark?: StreamPosition): Promise<void> {
    const name = commandName(buffers);
    const step = SPLITTABLE[name];
    if (step) {
      const bySlot = new Map<number, RespArg[]>();
      for (const pos of positions) {
        const slot = keySlot(buffers[pos]);
        const cmd = bySlot.get(slot) ?? [argv[0]];
        cmd.push(...argv.slice(pos, pos + step));
        bySlot.set(slot, cmd);
      }
      const parts = [...bySlot.values()];
      for (const [i, part] of parts.entries()) await this.host.writeOne(part, i === parts.length - 1 ? mark : undefined);
      return;
    }
    await this.emulate(name, buffers, positions);
    if (mark) this.host.advance(mark);
  }

  private async emulate(name: string, buffers: Buffer[], positions: number[]): Promise<void> {
    const host = this.host;
    await host.quiesce();
    const slot = keySlot(buffers[positions[0]]);
    const tag = this.tagFor(slot);
    const nonce = `${Date.now().toString(36)}${(this.emulations++).toString(36)}`;
    const keys = [...new Map(positions.map((p) => [buffers[p].toString('latin1'), buffers[p]])).values()];
    const temp = new Map<string, Buffer>();
    keys.forEach((k, i) => temp.set(k.toString('latin1'), Buffer.from(`{${tag}}dts-emu:${nonce}:${i}`)));
    try {
      for (const k of keys) await this.copyKey(k, temp.get(k.toString('latin1'))!);
      const rewritten = buffers.map((b, i) => (positions.includes(i) ? temp.get(b.toString('latin1'))! : b));
      const reply = await host.callInSlot(slot, rewritten);
      if (reply instanceof RespErrorReply) throw rejectedWrite(host.address(), name, buffers[positions[0]], reply);
      for (const k of keys) await this.copyKey(temp.get(k.toString('latin1'))!, k);
      host.log('info', `${name} across hash slots was applied by emulation (keys ${keys.map((k) => `"${printable(k)}"`).join(', ')})`);
    } finally {
      for (const t of temp.values()) await host.callForKey(t, ['DEL', t]).catch(() => undefined);
    }
  }

  /** Copies a key's value and absolute expiry to another key (or deletes the target when the source has none). */
  private async copyKey(from: Buffer, to: Buffer): Promise<void> {
    const host = this.host;
    const dump = await host.callForKey(from, ['DUMP', from]);
    if (dump instanceof RespErrorReply) throw rejectedWrite(host.address(), 'DUMP', from, dump);
    if (dump === null) {
      await host.callForKey(to, ['DEL', to]);
      return;
    }
    const expireAt = Number(await host.callForKey(from, ['PEXPIRETIME', from]));
    const reply = await host.callForKey(to, ['RESTORE', to, expireAt > 0 ? expireAt : 0, dump as Buffer, 'REPLACE', 'ABSTTL']);
    if (reply instanceof RespErrorReply) throw rejectedWrite(host.address(), 'RESTORE', to, reply);
  }

  private tagFor(slot: number): string {
    let tag = this.slotTags.get(slot);
    if (!tag) {
      tag = tagForSlot((s) => s === slot);
      this.slotTags.set(slot, tag);
    }
    return tag;
  }
}
