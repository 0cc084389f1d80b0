/**
 * A destination a relayed task left pointing at the engine (the engine died; the task is released
 * without running again) is made a master again, with its own settings, which the relay's password
 * carries (destination-settings.ts). A destination that is not ours is left alone.
 */
import { ControlClient } from '../net/socket';
import type { RedisEndpoint } from '../endpoint';
import { RespErrorReply } from '../resp';
import { restoreDestination, unwrapRelayPassword } from './destination-settings';

/** Whether it was detached (it was a replica of a relay of this engine's). */
export async function detachRelayedDestination(target: RedisEndpoint): Promise<boolean> {
  const client = await new ControlClient(target, 'destination').open();
  try {
    const reply = await client.call(['CONFIG', 'GET', 'masterauth']);
    if (reply instanceof RespErrorReply || !Array.isArray(reply)) return false;
    const saved = unwrapRelayPassword(String(reply[1] ?? ''));
    if (!saved) return false;
    await restoreDestination((argv) => client.call(argv), saved);
    return true;
  } finally {
    client.close();
  }
}
