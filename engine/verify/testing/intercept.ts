/**
 * Test-only: run an action (a write to the servers) just before the verifier
 * sends a chosen command, so a key changes at an exact point of its comparison
 * — between TYPE and GET, between two chunks of a big key, before XINFO …
 */
import { NodeConn, type Cmd } from '../side';

export interface Interception {
  /** Times the action ran. */
  readonly fired: number;
  restore(): void;
}

/** The command's name (upper case) and its first argument (the key) as text. */
export function cmdOf(cmd: Cmd): { name: string; key: string; args: string[] } {
  const [name, ...args] = cmd;
  const text = args.map((a) => (Buffer.isBuffer(a) ? a.toString('latin1') : String(a)));
  return { name: name.toUpperCase(), key: text[0] ?? '', args: text };
}

/**
 * Before the first `times` pipelines (of the verifier's own connections) that hold
 * a command `when` accepts, awaits `action`, then sends the pipeline.
 */
export function beforeCommand(
  when: (role: string, cmd: ReturnType<typeof cmdOf>) => boolean,
  action: () => Promise<unknown>,
  times = 1,
): Interception {
  const original = NodeConn.prototype.pipeline;
  let fired = 0;
  NodeConn.prototype.pipeline = async function (this: NodeConn, db, cmds) {
    if (fired < times && cmds.some((c) => when(this.role, cmdOf(c)))) {
      fired++;
      await action();
    }
    return original.call(this, db, cmds);
  };
  return {
    get fired() { return fired; },
    restore() { NodeConn.prototype.pipeline = original; },
  };
}
