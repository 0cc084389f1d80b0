/**
 * The sync CLI's arguments (the contract in issue 5) turned into SyncOptions.
 * Kept apart from the entry point, which runs a task as soon as it is loaded.
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { endpointAddress } from '../endpoint';
import { checkPasswordSides, dbMapping, dbNumber, endpointParser, list, PASSWORD_OPTIONS, PASSWORD_USAGE, UsageError } from './args';
import { readCheckpointFile } from './checkpoint-file';

export { UsageError };
import {
  READ_METHODS, WRITE_METHODS, type ExistingKeyPolicy, type ReadMethod, type RelayListen, type SyncOptions, type SyncType, type WriteMethod,
} from '../sync/types';

export const USAGE = `usage: npm run sync -- --source redis://[user:pass@]host:port --target redis://[user:pass@]host:port [options]

  --type full|incremental|full+incremental   what to synchronize (default full+incremental)
  --read replication|scan    how the source is read: replication (PSYNC, default) or scan (SCAN + DUMP and keyspace
                             notifications, for sources that refuse PSYNC/SYNC; see docs/scan-mode.md for what it misses)
  --db 0,1,5                 source DBs to synchronize (default: all)
  --db-map 0:1,5:5           write source DB 0 into destination DB 1, …
  --key-prefix a:,b:         only keys with these prefixes
  --exclude-prefix tmp:      leave out keys with these prefixes
  --conflict block|overwrite block (default): stop before writing if a selected destination DB holds keys
  --rps N                    at most N commands per second on the destination
  --ttl-extend SECONDS       add SECONDS to every expiry written
  --retry-minutes N          keep retrying a broken link for N minutes (default 10)
  --tls-ca FILE --tls-cert FILE --tls-key FILE --tls-insecure   TLS settings for rediss:// URLs
${PASSWORD_USAGE}  --source-cluster          the source is a Redis Cluster: one link per master (default: asked with INFO cluster)
  --target-cluster          the destination is a Redis Cluster (default: asked with INFO cluster)
  --use-replicas            cluster source: read each shard from a replica in sync with its master
  --precheck                run the precheck items, print them, and exit (1 when an item failed)
  --rdb FILE                 restore an RDB file into --target instead of reading a source
  --task-id ID               names the task: its heartbeat key and its record on the destination (default: a random id)
  --checkpoint-file FILE     keep the task id and position in FILE; started again with the same FILE (after kill -9,
                             a reboot …), the task continues where the destination is, by partial resync
  --write commands|relay|auto   commands (default): the engine writes as a client; relay: the destination
                             replicates the source through the engine, as fast as a native replica (standalone,
                             no filters; docs/relay.md); auto: relay where possible, commands otherwise (says why)
  --relay-listen HOST:PORT   relay: where the engine listens for the destination (default 127.0.0.1, any free port)
  --relay-announce HOST      relay: the host the destination is told to connect to (default the listen host)
  --relay-tls-cert FILE --relay-tls-key FILE   relay: listen with TLS; the destination replicates over TLS
                             (tls-replication yes, trusting the certificate with its tls-ca-cert-file)
  --json                     NDJSON events on stdout instead of progress lines
`;




/** What `npm run sync` runs: the task, and how it keeps its place. */
export interface CliRun {
  options: SyncOptions;
  checkpointFile?: string;
  /** The task id was given (--task-id or the checkpoint file): a later run can name the task again. */
  namedTask: boolean;
  /** `--write auto`: the write method is chosen when the task starts (relay/choose.ts). */
  chooseWriteMethod: boolean;
}

export function parseCli(argv: string[]): SyncOptions {
  return parseCliRun(argv).options;
}

export function parseCliRun(argv: string[]): CliRun {
  const { values } = parseFlags(argv);
  const checkpointFile = values['checkpoint-file'];
  const saved = checkpointFile ? readCheckpointFile(checkpointFile) : undefined;
  if (saved && values['task-id'] && values['task-id'] !== saved.taskId) {
    throw new UsageError(`--task-id ${values['task-id']} differs from the task ${saved.taskId} kept in ${checkpointFile}`);
  }
  const options = syncOptions(values);
  // Two runs of one checkpoint file are one task: the second waits for the first (its spool folder is its own).
  if (checkpointFile) options.lockFile = `${checkpointFile}.lock`;
  if (saved) {
    options.taskId = saved.taskId;
    if (options.source) options.resume = saved.shards[endpointAddress(options.source)];
    options.resumeShards = saved.shards;
  }
  return { options, checkpointFile, namedTask: Boolean(values['task-id'] || saved || checkpointFile), chooseWriteMethod: values.write === 'auto' };
}

function syncOptions(values: ReturnType<typeof parseFlags>['values']): SyncOptions {
  if (values.help) throw new UsageError('');
  if (!values.target) throw new UsageError('--target is required');
  if (!values.source && !values.rdb) throw new UsageError('--source (or --rdb FILE) is required');

  const type = (values.type ?? 'full+incremental') as SyncType;
  if (!['full', 'incremental', 'full+incremental'].includes(type)) throw new UsageError(`--type: "${type}" is not full, incremental or full+incremental`);
  const conflict = (values.conflict ?? 'block') as ExistingKeyPolicy;
  if (!['block', 'overwrite'].includes(conflict)) throw new UsageError(`--conflict: "${conflict}" is not block or overwrite`);

  checkPasswordSides(values, { source: values.source, target: values.target });
  const read = (values.read ?? 'replication') as ReadMethod;
  if (!READ_METHODS.includes(read)) throw new UsageError(`--read: "${read}" is not replication or scan`);
  if (read === 'scan' && values.rdb) throw new UsageError('--read scan reads a source; --rdb restores a file');

  const endpoint = endpointParser(values);

  const write = values.write ?? 'commands';
  if (write !== 'auto' && !WRITE_METHODS.includes(write as WriteMethod)) throw new UsageError(`--write: "${write}" is not commands, relay or auto`);
  const relay = relayListen(values['relay-listen'], values['relay-announce'], values['relay-tls-cert'], values['relay-tls-key']);
  if (relay && write === 'commands') throw new UsageError('--relay-listen and --relay-announce go with --write relay or auto');

  const dbMap = dbMapping(values['db-map']);
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
    source: values.source ? endpoint(values.source, 'source') : undefined,
    target: endpoint(values.target, 'target'),
    type,
    read,
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
    // Flags force cluster mode; without them the runner asks each side (INFO cluster).
    sourceCluster: values['source-cluster'] ? true : undefined,
    targetCluster: values['target-cluster'] ? true : undefined,
    useReplicas: values['use-replicas'] ?? false,
    writeMethod: write === 'auto' ? undefined : (write as WriteMethod),
    relay,
  };
}

/** `--relay-listen 0.0.0.0:7000` and `--relay-announce engine.example` → RelayListen. */
function relayListen(listen: string | undefined, announce: string | undefined, certFile?: string, keyFile?: string): RelayListen | undefined {
  if (listen === undefined && announce === undefined && certFile === undefined && keyFile === undefined) return undefined;
  const out: RelayListen = {};
  if ((certFile === undefined) !== (keyFile === undefined)) throw new UsageError('--relay-tls-cert and --relay-tls-key go together');
  if (certFile && keyFile) out.tls = { cert: readFlagFile(certFile, '--relay-tls-cert'), key: readFlagFile(keyFile, '--relay-tls-key') };
  if (listen !== undefined) {
    const m = /^(.+):(\d+)$/.exec(listen);
    if (!m || Number(m[2]) > 65535) throw new UsageError(`--relay-listen: "${listen}" is not HOST:PORT`);
    out.host = m[1]!.replace(/^\[(.*)\]$/, '$1');
    out.port = Number(m[2]);
  }
  if (announce !== undefined) out.announceHost = announce;
  else if (out.host === '0.0.0.0' || out.host === '::') throw new UsageError('--relay-listen on every interface needs --relay-announce HOST (the address the destination connects to)');
  return out;
}


/** node:util parseArgs, its errors (an unknown flag, a missing value) turned into usage errors. */
function parseFlags(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      options: {
        source: { type: 'string' }, target: { type: 'string' }, type: { type: 'string' }, read: { type: 'string' }, db: { type: 'string' },
        'db-map': { type: 'string' }, 'key-prefix': { type: 'string' }, 'exclude-prefix': { type: 'string' },
        conflict: { type: 'string' }, rps: { type: 'string' }, 'ttl-extend': { type: 'string' },
        'retry-minutes': { type: 'string' }, 'tls-ca': { type: 'string' }, 'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' }, 'tls-insecure': { type: 'boolean' }, rdb: { type: 'string' },
        'task-id': { type: 'string' }, 'checkpoint-file': { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean' },
        'source-cluster': { type: 'boolean' }, 'target-cluster': { type: 'boolean' }, 'use-replicas': { type: 'boolean' },
        write: { type: 'string' }, 'relay-listen': { type: 'string' }, 'relay-announce': { type: 'string' },
        'relay-tls-cert': { type: 'string' }, 'relay-tls-key': { type: 'string' },
        ...PASSWORD_OPTIONS,
      },
      strict: true,
    });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function readFlagFile(file: string, flag: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${file}: ${(err as Error).message}`);
  }
}
