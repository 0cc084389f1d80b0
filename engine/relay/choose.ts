/**
 * `--write auto`: Replication relay where it is possible, Commands otherwise — with the reason, in
 * the rules the precheck's item and the relayed task apply (relay-possible.ts).
 */
import { describeError } from '../errors';
import { ControlClient } from '../net/socket';
import type { SyncOptions, WriteMethod } from '../sync/types';
import { relayCommandObstacles, relayFindingFor, relayRefusal } from './relay-possible';

export interface WriteMethodChoice {
  method: WriteMethod;
  /** Why, in one sentence. */
  reason: string;
}

export async function chooseWriteMethod(opts: SyncOptions): Promise<WriteMethodChoice> {
  const refusal = relayRefusal(opts);
  if (refusal) return { method: 'commands', reason: `${refusal}: the task writes with commands` };
  let source: ControlClient | undefined;
  let destination: ControlClient | undefined;
  try {
    source = await new ControlClient(opts.source!, 'source').open();
    destination = await new ControlClient(opts.target, 'destination').open();
    const finding = await relayFindingFor(source, destination, opts);
    const d = destination;
    const obstacles = [...finding.obstacles, ...await relayCommandObstacles((argv) => d.call(argv))];
    if (obstacles.length > 0) return { method: 'commands', reason: `${obstacles[0]!.reason.replace(/\.$/, '')}: the task writes with commands` };
    return { method: 'relay', reason: 'the destination can replicate the source through the engine: the task relays (as fast as a native replica)' };
  } catch (err) {
    // Whatever fails here fails the task the same way in a moment, with its own words.
    return { method: 'commands', reason: `relaying could not be checked (${describeError(err)}): the task writes with commands` };
  } finally {
    source?.close();
    destination?.close();
  }
}
