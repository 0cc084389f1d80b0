/**
 * What a relayed task changes on the destination, and gives back: the one place that knows it.
 *
 * While it relays, the destination has `masterauth` = a password of the engine's (with `masteruser`
 * emptied), `REPLICAOF <relay>`, `tls-replication yes` when the relay listens with TLS, and
 * `repl-diskless-load on-empty-db` where it was `disabled`: a destination the relay may fill is empty
 * (or the precheck let the snapshot replace what it holds), so it loads the snapshot as it arrives
 * instead of writing it to its disk first and loading it after — the full sync then takes the longer
 * of the two, not their sum, and the destination needs no disk space for the snapshot (a
 * destination that is not empty still loads from disk: that is what on-empty-db means).
 *
 * The engine's password carries the destination's own settings inside it, so that a destination left
 * pointing at an engine that died can still be given them back (detach.ts, or the next run).
 */
import { randomBytes } from 'node:crypto';

/** The destination's settings before the task, given back when it is detached. */
export interface DestinationSettings {
  masterauth: string;
  masteruser: string | undefined;
  /** Its tls-replication, when the task changed it (a relay listening with TLS). */
  tlsReplication?: string;
  /** Its repl-diskless-load, when the task changed it. */
  disklessLoad?: string;
}

/** `dts-relay.<masterauth>.<masteruser>.<tls-replication>.[<repl-diskless-load>.]<secret>` (the fourth field is newer). */
const RELAY_PASSWORD = /^dts-relay\.([A-Za-z0-9_-]*)\.([A-Za-z0-9_-]*)\.(yes|no|)\.(?:([a-z-]*)\.)?[A-Za-z0-9_-]+$/;

/** The masterauth the destination gets while it relays: a fresh secret, carrying the destination's own settings. */
export function wrapRelayPassword(saved: DestinationSettings): string {
  const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
  return `dts-relay.${b64(saved.masterauth)}.${b64(saved.masteruser ?? '')}.${saved.tlsReplication ?? ''}.${saved.disklessLoad ?? ''}.${randomBytes(18).toString('base64url')}`;
}

export function unwrapRelayPassword(masterauth: string): DestinationSettings | undefined {
  const m = RELAY_PASSWORD.exec(masterauth);
  if (!m) return undefined;
  const text = (s: string) => Buffer.from(s, 'base64url').toString('utf8');
  return { masterauth: text(m[1]!), masteruser: text(m[2]!) || undefined, tlsReplication: m[3] || undefined, disklessLoad: m[4] || undefined };
}

/** One command on the destination; a refusal rejects or comes back as an error reply, which the caller judges. */
export type DestinationCall = (argv: string[]) => Promise<unknown>;

/**
 * The settings a relay needs, applied (`password`: the wrapped one); REPLICAOF is the caller's, last.
 * `current` is what the destination has now; `saved`, what it is to get back.
 */
export async function applyRelaySettings(call: DestinationCall, saved: DestinationSettings, current: { masteruser?: string; disklessLoad?: string },
  password: string, tls: boolean): Promise<void> {
  await call(['CONFIG', 'SET', 'masterauth', password]);
  if (current.masteruser) await call(['CONFIG', 'SET', 'masteruser', '']);
  if (tls) await call(['CONFIG', 'SET', 'tls-replication', 'yes']);
  if (saved.disklessLoad !== undefined && current.disklessLoad !== 'on-empty-db') await call(['CONFIG', 'SET', 'repl-diskless-load', 'on-empty-db']);
}

/** REPLICAOF NO ONE and the destination's own settings back: it never stays pointed at the engine. */
export async function restoreDestination(call: DestinationCall, saved: DestinationSettings): Promise<void> {
  await call(['REPLICAOF', 'NO', 'ONE']);
  await call(['CONFIG', 'SET', 'masterauth', saved.masterauth]);
  if (saved.masteruser) await call(['CONFIG', 'SET', 'masteruser', saved.masteruser]);
  if (saved.tlsReplication) await call(['CONFIG', 'SET', 'tls-replication', saved.tlsReplication]);
  if (saved.disklessLoad) await call(['CONFIG', 'SET', 'repl-diskless-load', saved.disklessLoad]);
}
