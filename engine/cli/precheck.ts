/**
 * `npm run sync -- --precheck --source … --target … [task options]`: the
 * prechecks of engine/precheck for the task the other options describe, printed
 * as a table (item, status, reason; the details and the fix under each item that
 * did not pass), without starting anything. Exit 0 when no item failed (warnings
 * allowed), 1 when one did, 2 for usage errors. `--json` prints the results.
 *
 * `--source-cluster` / `--target-cluster` declare a side a cluster (the topology
 * item checks the declaration against the server). Without `--db`, the DBs are
 * those holding keys on the source, plus those whose destination DB holds keys.
 */
import { describeError } from '../errors';
import type { RedisEndpoint as EngineEndpoint } from '../endpoint';
import {
  closeRedis, openRedis, parseInfo, parseKeyspace, runPrechecks, type DbMapping, type PrecheckResult, type RedisEndpoint,
} from '../precheck';
import { parseCli, USAGE, UsageError } from './options';
import { CliOutput } from './output';

export const PRECHECK_USAGE = `
  --precheck                 run the prechecks of the task above and print them; start nothing
                             (exit 0 when no item failed, 1 when one did)
  --source-cluster, --target-cluster   with --precheck: the side is declared a cluster
`;

const CLUSTER_FLAGS = ['--source-cluster', '--target-cluster'];

function precheckEndpoint(e: EngineEndpoint, cluster: boolean): RedisEndpoint {
  return { host: e.host, port: e.port, username: e.username, password: e.password, tls: e.tls, mode: cluster ? 'cluster' : 'standalone' };
}

async function keyspaceDbs(e: RedisEndpoint): Promise<number[]> {
  let client;
  try {
    client = await openRedis(e, { timeoutMs: 3_000 });
    return parseKeyspace(parseInfo(String(await client.call('INFO', 'keyspace')))).filter((d) => d.keys > 0).map((d) => d.db);
  } catch {
    return []; // the connectivity items say why
  } finally {
    closeRedis(client);
  }
}

/** The DBs the task carries: the selected ones, or (none selected) every DB the sync would compare and write. */
async function taskDbs(selected: readonly number[] | undefined, dbMap: ReadonlyMap<number, number>, source: RedisEndpoint, target: RedisEndpoint): Promise<DbMapping[]> {
  const map = (db: number) => dbMap.get(db) ?? db;
  let dbs: number[];
  if (selected) {
    dbs = [...selected];
  } else {
    const [onSource, onTarget] = await Promise.all([keyspaceDbs(source), keyspaceDbs(target)]);
    const set = new Set(onSource);
    // A destination DB holding keys matters when some source DB is written there (itself, unless mapped away).
    for (const t of onTarget) {
      const from = [...dbMap.entries()].filter(([, to]) => to === t).map(([db]) => db);
      if (from.length > 0) from.forEach((db) => set.add(db));
      else if (!dbMap.has(t)) set.add(t);
    }
    dbs = set.size > 0 ? [...set] : [0];
  }
  return dbs.sort((a, b) => a - b).map((db) => ({ db, targetDb: map(db) }));
}

const STATUS_TEXT: Record<PrecheckResult['status'], string> = { passed: 'passed', warning: 'WARNING', failed: 'FAILED' };

/** The table: one row per item (item, status, reason); details and the fix indented under items that did not pass. */
export function formatPrecheckTable(results: readonly PrecheckResult[]): string {
  const width = Math.max(4, ...results.map((r) => r.name.length));
  const lines = [`${'ITEM'.padEnd(width)}  STATUS   REASON`];
  for (const r of results) {
    lines.push(`${r.name.padEnd(width)}  ${STATUS_TEXT[r.status].padEnd(7)}  ${r.reason}`);
    if (r.status === 'passed') continue;
    const indent = ' '.repeat(width + 11);
    for (const d of r.details) lines.push(`${indent}· ${d}`);
    if (r.fix) lines.push(`${indent}fix: ${r.fix}`);
  }
  return `${lines.join('\n')}\n`;
}

export function precheckVerdict(results: readonly PrecheckResult[]): { failed: number; line: string } {
  const n = (s: PrecheckResult['status']) => results.filter((r) => r.status === s).length;
  const failed = n('failed');
  const counts = `${n('passed')} passed, ${n('warning')} warning${n('warning') === 1 ? '' : 's'}, ${failed} failed`;
  const line = failed > 0
    ? `${counts}: the task would fail; fix the failed items (or, where the console allows it, ignore them) before starting it`
    : `${counts}: the task can start${n('warning') ? ' (read the warnings first)' : ''}`;
  return { failed, line };
}

/** Runs the prechecks the arguments describe; returns the exit status. */
export async function runPrecheckCli(argv: readonly string[], output = new CliOutput(argv)): Promise<number> {
  const out = (t: string) => output.out(t);
  const err = (t: string) => output.err(t);
  const rest = argv.filter((a) => a !== '--precheck' && !CLUSTER_FLAGS.includes(a));
  const json = rest.includes('--json');
  let opts;
  try {
    opts = parseCli(rest);
    output.secret(opts.source?.password, opts.target.password);
    if (opts.rdbFile) throw new UsageError('--precheck checks a source and a destination; --rdb has no source to check');
    if (!opts.source) throw new UsageError('--precheck needs --source');
  } catch (e) {
    if (e instanceof UsageError) {
      if (e.message) err(`error: ${e.message}\n\n`);
      err(USAGE + PRECHECK_USAGE);
      return e.message ? 2 : 0;
    }
    err(`error: ${describeError(e)}\n`);
    return 2;
  }
  const source = precheckEndpoint(opts.source!, argv.includes('--source-cluster'));
  const target = precheckEndpoint(opts.target, argv.includes('--target-cluster'));
  const dbs = await taskDbs(opts.filter?.dbs, opts.filter?.dbMap ?? new Map(), source, target);
  const syncTypes = opts.type ?? 'full+incremental';
  const conflictMode = opts.conflict === 'overwrite' ? 'ignore' : 'block';
  if (!json) {
    err(`precheck: ${source.host}:${source.port} → ${target.host}:${target.port} (${opts.read === 'scan' ? 'Scan mode; ' : ''}${syncTypes}; `
      + `${conflictMode === 'block' ? 'Precheck And Block' : 'Ignore Errors And Continue Execution'}; `
      + `${dbs.map((d) => (d.db === d.targetDb ? `DB ${d.db}` : `DB ${d.db} → ${d.targetDb}`)).join(', ')})\n`);
  }
  const results = await runPrechecks({ source, target, options: { syncTypes, conflictMode, dbs, readMethod: opts.read, writeMethod: opts.writeMethod } });
  const verdict = precheckVerdict(results);
  if (json) {
    output.json({ ok: verdict.failed === 0, dbs, results });
  } else {
    out(formatPrecheckTable(results));
    out(`\n${verdict.line}\n`);
  }
  return verdict.failed > 0 ? 1 : 0;
}
