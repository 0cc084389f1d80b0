/**
 * `npm run sync -- --source redis://… --target redis://…`: one synchronization
 * task, headless. Progress goes to stderr (or NDJSON events to stdout with
 * --json). Full-only tasks and --rdb exit 0 when done; otherwise the task runs
 * until SIGINT/SIGTERM, writes what it has read, and exits 0. Any failure exits
 * non-zero with one line saying why.
 */
import { parseArgs } from 'node:util';
import { parseRedisUrl, readTlsFiles, type RedisEndpoint, type TlsSettings } from '../endpoint';
import { describeError } from '../errors';
import { SyncTask, type ConflictMode, type SyncOptions, type SyncProgress, type SyncType } from '../sync/sync-task';

const USAGE = `usage: npm run sync -- --source redis://[user:pass@]host:port --target redis://[user:pass@]host:port [options]

  --type full|incremental|full+incremental   what to synchronize (default full+incremental)
  --db 0,1,5                 source DBs to synchronize (default: all)
  --db-map 0:1,5:5           write source DB 0 into destination DB 1, …
  --key-prefix a:,b:         only keys with these prefixes
  --exclude-prefix tmp:      leave out keys with these prefixes
  --conflict block|overwrite block (default): stop before writing if a selected destination DB holds keys
  --rps N                    at most N commands per second on the destination
  --ttl-extend SECONDS       add SECONDS to every expiry written
  --retry-minutes N          keep retrying a broken link for N minutes (default 10)
  --tls-ca FILE --tls-cert FILE --tls-key FILE --tls-insecure   TLS settings for rediss:// URLs
  --rdb FILE                 restore an RDB file into --target instead of reading a source
  --task-id ID               names the heartbeat key (default: a random id)
  --json                     NDJSON events on stdout instead of progress lines
`;

class UsageError extends Error {}

function list(value: string | undefined): string[] {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

function dbNumber(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 255) throw new UsageError(`${flag}: "${text}" is not a DB number (0-255)`);
  return n;
}

export function parseCli(argv: string[]): SyncOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      source: { type: 'string' }, target: { type: 'string' }, type: { type: 'string' }, db: { type: 'string' },
      'db-map': { type: 'string' }, 'key-prefix': { type: 'string' }, 'exclude-prefix': { type: 'string' },
      conflict: { type: 'string' }, rps: { type: 'string' }, 'ttl-extend': { type: 'string' },
      'retry-minutes': { type: 'string' }, 'tls-ca': { type: 'string' }, 'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' }, 'tls-insecure': { type: 'boolean' }, rdb: { type: 'string' },
      'task-id': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
      'source-cluster': { type: 'boolean' }, 'target-cluster': { type: 'boolean' },
    },
    strict: true,
  });
  if (values.help) throw new UsageError('');
  if (!values.target) throw new UsageError('--target is required');
  if (!values.source && !values.rdb) throw new UsageError('--source (or --rdb FILE) is required');
  if (values['source-cluster'] || values['target-cluster']) {
    throw new UsageError('cluster sources and destinations are not supported by this version yet');
  }

  const type = (values.type ?? 'full+incremental') as SyncType;
  if (!['full', 'incremental', 'full+incremental'].includes(type)) throw new UsageError(`--type: "${type}" is not full, incremental or full+incremental`);
  const conflict = (values.conflict ?? 'block') as ConflictMode;
  if (!['block', 'overwrite'].includes(conflict)) throw new UsageError(`--conflict: "${conflict}" is not block or overwrite`);

  const tlsFiles = { ca: values['tls-ca'], cert: values['tls-cert'], key: values['tls-key'], insecure: values['tls-insecure'] };
  const tls: TlsSettings | undefined = tlsFiles.ca || tlsFiles.cert || tlsFiles.key || tlsFiles.insecure ? readTlsFiles(tlsFiles) : undefined;
  const endpoint = (url: string): RedisEndpoint => {
    const e = parseRedisUrl(url);
    if (e.tls && tls) e.tls = { ...tls };
    return e;
  };

  const dbMap = new Map<number, number>();
  for (const pair of list(values['db-map'])) {
    const [from, to] = pair.split(':');
    if (to === undefined) throw new UsageError(`--db-map: "${pair}" is not FROM:TO`);
    dbMap.set(dbNumber(from, '--db-map'), dbNumber(to, '--db-map'));
  }
  const dbs = list(values.db).map((d) => dbNumber(d, '--db'));
  const numberFlag = (flag: 'rps' | 'ttl-extend' | 'retry-minutes'): number | undefined => {
    const v = values[flag];
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag}: "${v}" is not a non-negative number`);
    return n;
  };
  const retryMs = (numberFlag('retry-minutes') ?? 10) * 60_000;

  return {
    taskId: values['task-id'] ?? `cli${Date.now().toString(36)}`,
    source: values.source ? endpoint(values.source) : undefined,
    target: endpoint(values.target),
    type,
    conflict,
    filter: {
      dbs: dbs.length > 0 ? dbs : undefined,
      dbMap,
      includePrefixes: list(values['key-prefix']),
      excludePrefixes: list(values['exclude-prefix']),
    },
    rps: numberFlag('rps'),
    ttlExtendSeconds: numberFlag('ttl-extend'),
    connectionRetryMs: retryMs,
    otherRetryMs: retryMs,
    rdbFile: values.rdb,
  };
}

function progressLine(p: SyncProgress): string {
  const parts = [`[${p.stage}]`];
  if (p.stage === 'full' || p.stage === 'waiting-snapshot') {
    parts.push(`${p.fullPercent.toFixed(1)}%`, `keys ${p.keysDone}${p.keysTotal ? `/${p.keysTotal}` : ''}`,
      `${(p.rdbBytesDone / 1048576).toFixed(1)} MB`);
  } else {
    parts.push(`offset ${p.receivedOffset}`, `applied ${p.commandsApplied}`);
    if (p.delayMs !== null) parts.push(`delay ${p.delayMs} ms`);
  }
  parts.push(`${p.rps} cmd/s`);
  return parts.join('  ');
}

async function main(): Promise<number> {
  const json = process.argv.includes('--json');
  let opts: SyncOptions;
  try {
    opts = parseCli(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`error: ${err.message}\n\n`);
      process.stderr.write(USAGE);
      return err.message ? 2 : 0;
    }
    process.stderr.write(`error: ${describeError(err)}\n`);
    return 2;
  }

  const task = new SyncTask(opts);
  const emit = (event: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(event)}\n`);
  task.on('log', (level, message) => {
    if (json) emit({ type: 'log', level, message, time: new Date().toISOString() });
    else process.stderr.write(`${level === 'info' ? '' : `${level}: `}${message}\n`);
  });
  task.on('stage', (stage) => {
    if (json) emit({ type: 'stage', stage, time: new Date().toISOString() });
  });
  task.on('progress', (p) => {
    if (json) emit({ type: 'progress', ...p });
    else process.stderr.write(`${progressLine(p)}\n`);
  });
  task.on('checkpoint', (c) => {
    if (json) emit({ type: 'checkpoint', ...c });
  });

  let signalled = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (signalled) process.exit(130);
      signalled = true;
      process.stderr.write('stopping: writing what was already read…\n');
      void task.stop();
    });
  }

  try {
    await task.run();
    const p = task.progress;
    // Where a later run resumes from (--resume is the console's; the CLI reports it).
    const checkpoint = p.replid && p.checkpoint ? { replid: p.replid, offset: p.checkpoint.offset, db: p.checkpoint.db } : null;
    if (json) emit({ type: 'done', stage: p.stage, keys: p.keysDone, offset: p.receivedOffset, checkpoint });
    else {
      const at = checkpoint ? `; checkpoint ${checkpoint.replid} ${checkpoint.offset} (DB ${checkpoint.db})` : '';
      process.stderr.write(`done (${p.stage}): ${p.keysDone} keys in the last full migration, ${p.commandsApplied} commands replayed${at}\n`);
    }
    return 0;
  } catch (err) {
    const line = describeError(err);
    if (json) emit({ type: 'error', message: line });
    process.stderr.write(`error: ${line}\n`);
    return 1;
  }
}

main().then((code) => process.exit(code));
