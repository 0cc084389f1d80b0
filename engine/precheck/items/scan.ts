/**
 * The precheck items of scan mode (a source that refuses PSYNC/SYNC, read by SCAN, DUMP
 * and keyspace notifications; engine/sync/readers/scan.ts). The RDB version against the
 * destination's for RESTORE is version-compat's, as in replication mode: a payload the
 * destination cannot load is rewritten as commands either way.
 */
import { RespErrorReply, type RespValue } from '../../resp';
import { hasFeature } from '../../servers/facts';
import { checkNotifySetting } from '../../sync/readers/scan/source-settings';
import type { NodeHandle } from '../context';
import { formatBytes, serverVersionOf } from '../info';
import { failed, passed, warning, type PrecheckItemDef } from './item';
import { aclUserOf } from './permission';

/** A pubsub output buffer below this drops a subscriber that falls behind for a moment. */
export const MIN_PUBSUB_BUFFER = 32 * 1024 * 1024;

type Reply = { ok: true; value: unknown } | { ok: false; message: string };

async function tryCall(node: NodeHandle, ...argv: string[]): Promise<Reply> {
  try {
    return { ok: true, value: await node.client.call(argv[0]!, ...argv.slice(1)) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

/** The `pubsub` class of client-output-buffer-limit. */
export function pubsubBufferLimit(value: string): { hard: number; soft: number; seconds: number } | undefined {
  const parts = value.trim().split(/\s+/);
  for (let i = 0; i + 3 < parts.length; i += 4) {
    if (parts[i] === 'pubsub') return { hard: Number(parts[i + 1]), soft: Number(parts[i + 2]), seconds: Number(parts[i + 3]) };
  }
  return undefined;
}

export const sourceScanPermission: PrecheckItemDef = {
  id: 'source-scan',
  name: 'Source SCAN/DUMP permission',
  ignorable: false,
  async run(ctx) {
    const source = await ctx.need('source');
    const user = aclUserOf(source.endpoint);
    const details: string[] = [];
    const denied: string[] = [];
    for (const node of source.shards) {
      const expiry = hasFeature(serverVersionOf(node.info), 'expireTime') ? 'PEXPIRETIME' : 'PTTL';
      // A key that does not exist: the ACL check runs, nothing is read or written.
      const probe = `DTS_REDIS_SCAN_PROBE_${Date.now()}`;
      const checks: [string, Reply][] = [
        ['SCAN', await tryCall(node, 'SCAN', '0', 'COUNT', '1')],
        ['DUMP', await tryCall(node, 'DUMP', probe)],
        [expiry, await tryCall(node, expiry, probe)],
        ['EXISTS', await tryCall(node, 'EXISTS', probe)],
        ['MGET', await tryCall(node, 'MGET', probe)],
        ['INFO commandstats', await tryCall(node, 'INFO', 'commandstats')],
        ['MEMORY USAGE', await tryCall(node, 'MEMORY', 'USAGE', probe)],
      ];
      if (expiry === 'PTTL') checks.push(['TIME', await tryCall(node, 'TIME')]);
      const refused = checks.filter(([, r]) => !r.ok) as [string, { ok: false; message: string }][];
      // INFO commandstats is how FLUSHDB is noticed, MEMORY USAGE how big keys are found: without them the task still runs.
      const blocking = refused.filter(([name]) => name !== 'INFO commandstats' && name !== 'MEMORY USAGE');
      for (const [name, r] of refused) details.push(`${node.address}: ${name} refused — ${r.message}`);
      if (blocking.length) denied.push(node.address);
      else details.push(`${node.address}: SCAN, DUMP, MGET, ${expiry}${expiry === 'PTTL' ? ', TIME' : ''} and EXISTS allowed.`);
    }
    const grant = source.endpoint.username
      ? `ACL SETUSER ${source.endpoint.username} +scan +dump +mget +pexpiretime +pttl +time +exists +memory|usage +multi +exec +select +psubscribe +info +ping ~* &__keyevent@*`
      : 'Use an account that may run SCAN, DUMP, MGET, PEXPIRETIME (PTTL before 7.0), MEMORY USAGE, MULTI/EXEC and PSUBSCRIBE.';
    if (denied.length) return failed(`${cap(user)} cannot read keys by scan on ${denied.join(', ')}.`, details, grant);
    const gaps: string[] = [];
    if (details.some((d) => d.includes('INFO commandstats refused'))) gaps.push('not read INFO commandstats: a FLUSHDB, FLUSHALL or SWAPDB on the source would go unseen');
    if (details.some((d) => d.includes('MEMORY USAGE refused'))) gaps.push('not run MEMORY USAGE: big keys cannot be found before they are read, so each is read with one DUMP however big');
    if (gaps.length) return warning(`${cap(user)} may scan, but ${gaps.join('; and ')}.`, details, grant);
    return passed(`${cap(user)} may read every key with its expiry (SCAN, DUMP, ${details.some((d) => d.includes('PTTL')) ? 'PTTL' : 'PEXPIRETIME'}).`, details);
  },
};

export const sourceNotifications: PrecheckItemDef = {
  id: 'source-notifications',
  name: 'Source keyspace notifications',
  ignorable: true,
  async run(ctx) {
    const source = await ctx.need('source');
    if (ctx.options.syncTypes === 'full') return passed('A full migration only: keyspace notifications are not needed.');
    const details: string[] = [];
    const problems: string[] = [];
    const fixes: string[] = [];
    for (const node of source.shards) {
      const check = await checkNotifySetting({ call: async (argv) => {
        const r = await tryCall(node, ...argv.map(String));
        return r.ok ? (r.value as RespValue) : new RespErrorReply(r.message);
      } });
      if (check.state === 'ok') details.push(`${node.address}: notify-keyspace-events "${check.current}" publishes every key event.`);
      else if (check.state === 'missing') {
        details.push(`${node.address}: notify-keyspace-events "${check.current}" misses key events; the task sets it to "${check.wanted}" (CONFIG SET) when it starts.`);
      } else {
        problems.push(`cannot read notify-keyspace-events on ${node.address} (${check.reason}): it must include E and A, set in the service's parameter group`);
        fixes.push('Set notify-keyspace-events to "EA" (or "KEA") on the source: in a managed service, in its parameter group.');
      }
      const limit = await tryCall(node, 'CONFIG', 'GET', 'client-output-buffer-limit');
      const pubsub = limit.ok && Array.isArray(limit.value) ? pubsubBufferLimit(String(limit.value[1] ?? '')) : undefined;
      if (pubsub) {
        details.push(`${node.address}: client-output-buffer-limit pubsub ${formatBytes(pubsub.hard)} ${formatBytes(pubsub.soft)} ${pubsub.seconds}.`);
        if (pubsub.hard !== 0 && pubsub.hard < MIN_PUBSUB_BUFFER) {
          problems.push(`the pubsub output buffer limit ${formatBytes(pubsub.hard)} on ${node.address} drops the task's subscriber at the first burst of writes (each drop costs a re-scan)`);
          fixes.push('CONFIG SET client-output-buffer-limit "pubsub 64mb 16mb 60"');
        }
      } else {
        details.push(`${node.address}: the pubsub output buffer limit cannot be read; a subscriber dropped past it is healed by a re-scan.`);
      }
    }
    if (problems.length) {
      return warning(`${cap(problems[0]!)}${problems.length > 1 ? ` (+${problems.length - 1} more)` : ''}.`,
        [...details, ...problems.map((p) => `Warning: ${p}.`)], [...new Set(fixes)].join('\n'));
    }
    return passed('Key events reach the task (set by it where missing), and the pubsub output buffer suits a subscriber.', details);
  },
};

function cap(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
