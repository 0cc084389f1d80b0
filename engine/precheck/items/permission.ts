import crypto from 'node:crypto';
import { atLeast } from '../info';
import type { NodeHandle } from '../context';
import { rawExchange } from '../raw';
import { failed, passed, warning, type PrecheckItemDef } from './item';

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

export const HEARTBEAT_KEY = 'DTS_REDIS_TIMESTAMP_HEARTBEAT';

type Verdict = { ok: true; how: string } | { ok: false; why: string } | { ok: 'unknown'; why: string };

function authArgs(node: NodeHandle): string[][] {
  const { username, password } = node.endpoint;
  if (!password && !username) return [];
  return [username ? ['AUTH', username, password ?? ''] : ['AUTH', password ?? '']];
}

/**
 * Whether the account may run PSYNC on this node, without starting a sync:
 * - Redis 6.2+: `PSYNC <random replid> -1 FAILOVER` passes the ACL check and is then
 *   refused by the command itself ("replid must match"), so it proves permission with no side effect.
 * - before 6.0 there are no ACLs: the command exists unless it was renamed away (COMMAND INFO).
 * - 6.0/6.1: a real `PSYNC ? -1` on a raw socket closed at the first reply line (may start a BGSAVE).
 */
export async function psyncPermission(node: NodeHandle, timeoutMs: number): Promise<Verdict> {
  const version = node.info.version;
  if (!atLeast(version, '6.0.0')) {
    const info = (await node.client.call('COMMAND', 'INFO', 'PSYNC', 'SYNC')) as unknown[];
    if (info.every((row) => row === null)) return { ok: false, why: 'PSYNC and SYNC are not available (renamed or disabled on the server).' };
    return { ok: true, how: 'no ACLs before Redis 6 and PSYNC/SYNC exist (COMMAND INFO).' };
  }
  const failover = atLeast(version, '6.2.0');
  const probe = failover ? ['PSYNC', crypto.randomBytes(20).toString('hex'), '-1', 'FAILOVER'] : ['PSYNC', '?', '-1'];
  const auth = authArgs(node);
  const lines = await rawExchange(node.endpoint, [...auth, probe], timeoutMs);
  const reply = lines[auth.length] ?? '';
  if (auth.length && !lines[0]?.startsWith('+')) return { ok: false, why: `authentication failed on ${node.address}: ${lines[0]}` };
  if (/^-ERR PSYNC FAILOVER/i.test(reply)) return { ok: true, how: 'PSYNC passed the ACL check (probed with PSYNC … FAILOVER, no sync started).' };
  if (/^\+(FULLRESYNC|CONTINUE)/.test(reply)) return { ok: true, how: 'PSYNC was accepted (the probe closed at the first reply).' };
  if (/^-NOPERM/.test(reply)) return { ok: false, why: reply.slice(1) };
  if (/unknown command/i.test(reply)) return { ok: false, why: `PSYNC is not available: ${reply.slice(1)}` };
  return { ok: 'unknown', why: `unexpected reply to the PSYNC probe: ${reply || '(none)'}` };
}

/** Whether the account may write the heartbeat key: SETEX with expiry 0 passes the ACL check, then fails without writing. */
export async function heartbeatWritePermission(node: NodeHandle): Promise<Verdict> {
  try {
    await node.client.call('SETEX', HEARTBEAT_KEY, '0', 'x');
    // Nothing should get here (expiry 0 is invalid), but if it did the key expires at once.
    return { ok: true, how: 'SETEX accepted.' };
  } catch (err) {
    const msg = (err as Error).message;
    if (/invalid expire/i.test(msg)) return { ok: true, how: 'write permission on the heartbeat key.' };
    if (/NOPERM/.test(msg)) return { ok: false, why: msg };
    if (/READONLY/.test(msg)) return { ok: false, why: `the node is a read-only replica: ${msg}` };
    return { ok: 'unknown', why: msg };
  }
}

/** Who the precheck's commands ran as, for its results ("ACL user "app"", "the default user"). */
export function aclUserOf(endpoint: { username?: string }): string {
  return endpoint.username ? `ACL user "${endpoint.username}"` : 'the default user';
}

export const sourcePsync: PrecheckItemDef = {
  id: 'source-psync',
  name: 'Source PSYNC/SYNC permission',
  ignorable: false,
  async run(ctx) {
    const source = await ctx.need('source');
    const user = aclUserOf(source.endpoint);
    const details: string[] = [];
    const denied: string[] = [];
    const unknown: string[] = [];
    const noWrite: string[] = [];
    for (const node of source.shards) {
      let v: Verdict;
      try {
        v = await psyncPermission(node, ctx.timeoutMs);
      } catch (err) {
        v = { ok: 'unknown', why: (err as Error).message };
      }
      if (v.ok === true) details.push(`${node.address}: ${v.how}`);
      else if (v.ok === false) { denied.push(node.address); details.push(`${node.address}: PSYNC denied — ${v.why}`); }
      else { unknown.push(node.address); details.push(`${node.address}: ${v.why}`); }
      const w = await heartbeatWritePermission(node);
      if (w.ok === true) details.push(`${node.address}: heartbeat ${w.how}`);
      else { noWrite.push(node.address); details.push(`${node.address}: cannot write the heartbeat key ${HEARTBEAT_KEY} — ${w.why}`); }
    }
    const grant = source.endpoint.username
      ? `ACL SETUSER ${source.endpoint.username} +psync +sync +replconf +ping +info +@read +setex ~*`
      : 'Use an account that may run PSYNC (ACL: +psync +sync +replconf).';
    if (denied.length) {
      const what = ctx.options.syncTypes === 'full'
        ? `${capitalize(user)} cannot replicate from ${denied.join(', ')}: the full migration cannot read a snapshot.`
        : `${capitalize(user)} cannot replicate from ${denied.join(', ')}: incremental synchronization is impossible.`;
      // A source that refuses replication (a managed service) can still be read by scan.
      const scan = source.endpoint.audience === 'console' ? 'choose Read Method "Scan" in the Advanced Settings' : 'run the task with --read scan';
      return failed(what, details, `${grant}\nOr, where replication cannot be allowed (a managed service), ${scan}: keys by SCAN and DUMP, `
        + 'changes by keyspace notifications — what pub/sub drops or FLUSHDB hides is healed by re-scans, and a restart scans again (docs/scan-mode.md).');
    }
    if (unknown.length) {
      return warning(`Could not confirm PSYNC permission on ${unknown.join(', ')}.`, details, grant);
    }
    if (noWrite.length) {
      return warning(`${capitalize(user)} can replicate but cannot write the heartbeat key on ${noWrite.join(', ')}: the delay is measured from offsets only.`,
        details, source.endpoint.username ? `ACL SETUSER ${source.endpoint.username} +setex ~${HEARTBEAT_KEY}*` : undefined);
    }
    return passed(`${capitalize(user)} may replicate (PSYNC) and write the heartbeat key on every source shard.`, details);
  },
};
