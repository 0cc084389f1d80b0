/**
 * `npm run verify -- --source redis://… --target redis://…`: data verification,
 * headless. Prints a table per round and a sample of the conflicts left (or the
 * whole result as JSON with --json). Exit 0 when the last round found no
 * difference, 1 when differences remain, 2 for usage and connection errors.
 */
import { parseArgs } from 'node:util';
import { checkPasswordSides, dbMapping, dbNumber, endpointParser, list, PASSWORD_OPTIONS, PASSWORD_USAGE, UsageError } from './args';
import { CliOutput } from './output';
import { describeError } from '../errors';
import {
  CONFLICT_KINDS, VERIFY_MODES, Verifier, type Conflict, type RoundResult, type SideInfo, type VerifierOptions, type VerifyMode,
  type VerifyResult,
} from '../verify';

const USAGE = `usage: npm run verify -- --source redis://[user:pass@]host:port --target redis://[user:pass@]host:port [options]

  --mode full|length|keys|full-length-above
                             what to compare (default full): value, value length, key existence,
                             or full value with length only above --big-key-threshold
  --rounds N                 rounds (default 3); rounds after the first recheck only the keys that differed
  --interval-seconds S       pause before each later round (default 5)
  --db 0,1                   source DBs to compare (default: every DB with keys)
  --db-map 0:1,5:5           source DB 0 was written to destination DB 1, …
  --key-prefix a:,b:         only keys with these prefixes
  --exclude-prefix tmp:      leave out keys with these prefixes
  --rate N                   at most N keys per second (default: no limit)
  --ttl-extend S             seconds the task added to every expiry (taken off before comparing)
  --ttl-tolerance-ms MS      expiry differences up to MS are equal (default 1000)
  --big-key-threshold N      elements (bytes for strings) above which full-length-above compares length only (default 16384)
  --no-digest                never use DEBUG DIGEST-VALUE (always read values)
  --sample N                 conflicts to print (default 20)
  --tls-ca FILE --tls-cert FILE --tls-key FILE --tls-insecure   TLS settings for rediss:// URLs
${PASSWORD_USAGE}  --json                     print the whole result as JSON on stdout

Exit status: 0 when the last round finds no difference, 1 when differences remain, 2 on errors.
Clusters are recognised by themselves: give any node of a cluster.
`;




export interface CliOptions {
  verifier: VerifierOptions;
  json: boolean;
  sample: number;
}

export function parseCli(argv: string[]): CliOptions {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        source: { type: 'string' }, target: { type: 'string' }, mode: { type: 'string' }, rounds: { type: 'string' },
        'interval-seconds': { type: 'string' }, db: { type: 'string' }, 'db-map': { type: 'string' },
        'key-prefix': { type: 'string' }, 'exclude-prefix': { type: 'string' }, rate: { type: 'string' },
        'ttl-extend': { type: 'string' }, 'ttl-tolerance-ms': { type: 'string' }, 'big-key-threshold': { type: 'string' },
        'no-digest': { type: 'boolean' }, sample: { type: 'string' }, 'tls-ca': { type: 'string' }, 'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' }, 'tls-insecure': { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean' },
        ...PASSWORD_OPTIONS,
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  if (values.help) throw new UsageError('');
  if (!values.source) throw new UsageError('--source is required');
  if (!values.target) throw new UsageError('--target is required');

  const mode = (values.mode ?? 'full') as VerifyMode;
  if (!VERIFY_MODES.includes(mode)) throw new UsageError(`--mode: "${values.mode}" is not ${VERIFY_MODES.join(', ')}`);

  const num = (flag: keyof typeof values, opts: { integer?: boolean; min?: number } = {}): number | undefined => {
    const v = values[flag];
    if (v === undefined || typeof v !== 'string') return undefined;
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < (opts.min ?? 0) || (opts.integer && !Number.isInteger(n))) {
      throw new UsageError(`--${flag}: "${v}" is not a ${opts.integer ? 'whole ' : ''}number ≥ ${opts.min ?? 0}`);
    }
    return n;
  };

  checkPasswordSides(values, { source: values.source, target: values.target });
  const endpoint = endpointParser(values);

  const dbMap = dbMapping(values['db-map']);
  const dbs = list(values.db).map((d) => dbNumber(d, '--db'));

  return {
    json: !!values.json,
    sample: num('sample', { integer: true }) ?? 20,
    verifier: {
      source: endpoint(values.source, 'source'),
      target: endpoint(values.target, 'target'),
      mode,
      rounds: num('rounds', { integer: true, min: 1 }) ?? 3,
      intervalMs: (num('interval-seconds') ?? 5) * 1000,
      filter: {
        dbs: dbs.length > 0 ? dbs : undefined,
        dbMap,
        includePrefixes: list(values['key-prefix']),
        excludePrefixes: list(values['exclude-prefix']),
      },
      rateLimit: num('rate'),
      ttlExtendSeconds: num('ttl-extend'),
      ttlToleranceMs: num('ttl-tolerance-ms'),
      bigKeyThreshold: num('big-key-threshold', { integer: true, min: 1 }),
      useDigest: !values['no-digest'],
    },
  };
}

function sideLine(s: SideInfo): string {
  const shape = s.cluster ? `cluster of ${s.nodes.length} masters` : 'standalone';
  return `${s.address} (${shape}, Redis ${s.version}, DEBUG DIGEST-VALUE ${s.debugDigest ? 'allowed' : 'not allowed'})`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]))).join('  ')).join('\n');
}

function roundRows(rounds: RoundResult[]): string {
  const head = ['round', 'scope', 'keys', ...CONFLICT_KINDS, 'differences', 'time'];
  return table([
    head,
    ...rounds.map((r) => [String(r.round), r.scope, String(r.keysChecked), ...CONFLICT_KINDS.map((k) => String(r.counts[k])),
      String(r.conflicts), `${(r.durationMs / 1000).toFixed(1)} s`]),
  ]);
}

function conflictLine(c: Conflict): string {
  const db = c.db === c.targetDb ? `db ${c.db}` : `db ${c.db}→${c.targetDb}`;
  const parts = [db, c.kind.padEnd(11), JSON.stringify(c.key)];
  if (c.field !== undefined) parts.push(`at ${c.field}`);
  if (c.source !== undefined || c.target !== undefined) parts.push(`source ${c.source ?? '?'}`, `destination ${c.target ?? '?'}`);
  if (c.moreFields?.length) parts.push(`(also ${c.moreFields.join(', ')})`);
  return `  ${parts.join('  ')}`;
}

function report(r: VerifyResult, sample: number): string {
  const s = r.settings;
  const lines = [
    `source       ${sideLine(r.source)}`,
    `destination  ${sideLine(r.target)}`,
    `mode ${s.mode}${s.mode === 'full-length-above' ? ` (threshold ${s.bigKeyThreshold})` : ''} · up to ${s.rounds} rounds, ${s.intervalMs / 1000} s apart · ` +
      `${s.rateLimit ? `${s.rateLimit} keys/s` : 'no rate limit'} · TTL extension ${s.ttlExtendSeconds} s, tolerance ${s.ttlToleranceMs} ms · ` +
      `${s.digest ? 'DEBUG DIGEST-VALUE used' : 'values read (no DEBUG DIGEST-VALUE)'}`,
    '',
    roundRows(r.rounds),
  ];
  const moved = r.rounds.filter((x) => x.changedWhileRead);
  if (moved.length > 0) {
    lines.push('', `keys changed while read (compared again, not counted as differences): ${moved.map((x) => `round ${x.round} ${x.changedWhileRead}`).join(', ')}`);
  }
  const conflicts = r.final.dbs.flatMap((d) => d.sample);
  if (r.final.conflicts > 0 && sample > 0) {
    const shown = conflicts.slice(0, sample);
    lines.push('', `differences in round ${r.final.round} (${shown.length} of ${r.final.conflicts}):`, ...shown.map(conflictLine));
  }
  lines.push('', r.equal
    ? `equal: no difference in round ${r.final.round}`
    : `NOT equal: ${r.final.conflicts} difference${r.final.conflicts === 1 ? '' : 's'} left after ${r.rounds.length} round${r.rounds.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}

/** Every line this CLI prints goes through it: no password in any message. */
const output = new CliOutput(process.argv.slice(2));

async function main(): Promise<number> {
  let cli: CliOptions;
  try {
    cli = parseCli(process.argv.slice(2));
    output.secret(cli.verifier.source.password, cli.verifier.target.password);
  } catch (err) {
    if (err instanceof UsageError) {
      if (!err.message) {
        output.out(USAGE);
        return 0;
      }
      output.err(`error: ${err.message}\n\n${USAGE}`);
      return 2;
    }
    output.err(`error: ${describeError(err)}\n`);
    return 2;
  }

  const abort = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.on(sig, () => {
      if (abort.signal.aborted) process.exit(130);
      abort.abort(new Error('interrupted'));
    });
  }
  let lastProgress = 0;
  const verifier = new Verifier({
    ...cli.verifier,
    signal: abort.signal,
    onProgress: (p) => {
      if (cli.json || Date.now() - lastProgress < 1000) return;
      lastProgress = Date.now();
      const total = p.phase === 'target' ? '' : `/${p.keysTotal}`;
      output.err(`round ${p.round} (${p.phase}): ${p.keysChecked}${total} keys, ${p.conflicts} differences\n`);
    },
    onRound: (r) => {
      if (!cli.json && cli.verifier.rounds !== 1 && r.conflicts > 0 && r.round < (cli.verifier.rounds ?? 3)) {
        output.err(`round ${r.round}: ${r.conflicts} differences; rechecking them in ${(cli.verifier.intervalMs ?? 0) / 1000} s\n`);
      }
    },
  });
  try {
    const result = await verifier.run();
    if (cli.json) output.json(result, 2);
    else output.out(`${report(result, cli.sample)}\n`);
    return result.equal ? 0 : 1;
  } catch (err) {
    output.err(`error: ${abort.signal.aborted ? 'interrupted' : describeError(err)}\n`);
    return abort.signal.aborted ? 130 : 2;
  }
}

main().then((code) => process.exit(code), (err: unknown) => {
  output.err(`error: ${describeError(err)}\n`);
  process.exit(1);
});
