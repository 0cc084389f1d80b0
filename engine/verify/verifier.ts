/**
 * Full data verification, modeled on redis-full-check: round 1 compares every
 * key of the selected source DBs with the destination (and scans the mapped
 * destination DBs for keys the source lacks); each later round waits an
 * interval and rechecks only the keys that differed, so writes still in flight
 * when a key was first compared wash out. The last round is the verdict.
 */
import { EntryFilter, type FilterOptions } from '../filter';
import { KeyComparator, compareSettings, type CompareOutcome, type CompareSettings, type KeyConflict } from './compare';
import { printable } from '../keys';
import { keyId, prefixPattern } from './keys';
import { RateLimiter, sleep } from './rate';
import { Side, VerifyError } from './side';
import {
  emptyCounts, type Conflict, type DbRoundResult, type RoundResult, type SideInfo, type VerifierOptions,
  type VerifyProgress, type VerifyResult,
} from './types';

export const DEFAULT_ROUNDS = 3;
export const DEFAULT_INTERVAL_MS = 5_000;
export const DEFAULT_SAMPLE_SIZE = 100;
export const DEFAULT_MAX_RECHECK_KEYS = 1_000_000;
export const DEFAULT_BATCH_SIZE = 256;

/** A source DB and the destination DB it is written to. */
interface DbPair {
  db: number;
  tdb: number;
}

interface Pending {
  db: number;
  key: Buffer;
}

/** What one round collects. */
class RoundState {
  readonly started = Date.now();
  keysChecked = 0;
  readonly dbs = new Map<number, DbRoundResult>();
  /** Keys that differed or were still changing, for the next round (bounded by maxRecheckKeys). */
  readonly pending = new Map<string, Pending>();
  private readonly seen = new Set<string>();
  overflow = false;
  /** Keys left to the next round because they kept changing while read. */
  unsettled = 0;

  /** `last`: no round follows, so a key still changing cannot be left to one. */
  constructor(readonly round: number, readonly scope: 'all' | 'recheck', private readonly sampleSize: number, private readonly maxPending: number,
    private readonly last: boolean) {}

  db(db: number, tdb: number): DbRoundResult {
    let r = this.dbs.get(db);
    if (!r) this.dbs.set(db, (r = { db, targetDb: tdb, keysChecked: 0, conflicts: 0, counts: emptyCounts(), sample: [], changedWhileRead: 0 }));
    return r;
  }

  /** What a comparison found: its conflicts, and the keys that changed while they were read. */
  outcome(db: number, tdb: number, out: CompareOutcome, keep: (c: KeyConflict) => boolean = () => true): void {
    for (const c of out.conflicts) if (keep(c)) this.add(db, tdb, c);
    const r = this.db(db, tdb);
    r.changedWhileRead = (r.changedWhileRead ?? 0) + out.changedWhileRead;
    for (const { key, keyType } of out.unsettled) {
      // The verdict cannot call a key equal that never held still long enough to be compared.
      if (this.last) this.add(db, tdb, { key, kind: 'value', keyType, field: '(changed while verifying)' });
      else if (this.recheck(db, key)) this.unsettled++;
    }
  }

  /** Keeps `key` for the next round; false when the recheck list is full. */
  private recheck(db: number, key: Buffer): boolean {
    const id = keyId(db, key);
    if (this.pending.has(id)) return true;
    if (this.pending.size >= this.maxPending) {
      this.overflow = true;
      return false;
    }
    this.pending.set(id, { db, key });
    return true;
  }

  checked(db: number, tdb: number, n: number): void {
    this.db(db, tdb).keysChecked += n;
    this.keysChecked += n;
  }

  add(db: number, tdb: number, c: KeyConflict): void {
    const id = keyId(db, c.key);
    const once = `${c.kind}:${id}`;
    if (this.seen.has(once)) return; // the same key seen from both sides of the scan
    const r = this.db(db, tdb);
    r.counts[c.kind]++;
    r.conflicts++;
    if (r.sample.length < this.sampleSize) {
      const { key, ...rest } = c;
      const conflict: Conflict = { db, targetDb: tdb, key: printable(key), ...rest };
      r.sample.push(conflict);
    }
    if (this.seen.size < this.maxPending * 2) this.seen.add(once);
    this.recheck(db, c.key);
  }

  get conflicts(): number {
    let n = 0;
    for (const r of this.dbs.values()) n += r.conflicts;
    return n;
  }

  result(): RoundResult {
    const counts = emptyCounts();
    const dbs = [...this.dbs.values()].sort((a, b) => a.db - b.db);
    for (const r of dbs) for (const k of Object.keys(counts) as (keyof typeof counts)[]) counts[k] += r.counts[k];
    return {
      round: this.round, scope: this.scope, startedAt: new Date(this.started).toISOString(), durationMs: Date.now() - this.started,
      keysChecked: this.keysChecked, conflicts: this.conflicts, counts, dbs, recheckOverflow: this.overflow,
      changedWhileRead: dbs.reduce((n, r) => n + (r.changedWhileRead ?? 0), 0),
    };
  }
}

export class Verifier {
  private readonly filter: EntryFilter;
  private readonly filterOpts?: FilterOptions;

  constructor(private readonly opts: VerifierOptions) {
    if (opts.filter instanceof EntryFilter) {
      this.filter = opts.filter;
    } else {
      this.filterOpts = opts.filter;
      this.filter = new EntryFilter(opts.filter ?? {});
    }
    const rounds = opts.rounds ?? DEFAULT_ROUNDS;
    if (!Number.isInteger(rounds) || rounds < 1) throw new VerifyError('BAD_OPTION', `rounds must be a whole number ≥ 1 (got ${rounds})`);
    if (opts.rateLimit !== undefined && opts.rateLimit !== null && !(opts.rateLimit >= 0)) {
      throw new VerifyError('BAD_OPTION', `the rate limit must be ≥ 0 keys/s (got ${opts.rateLimit})`);
    }
  }

  async run(): Promise<VerifyResult> {
    const o = this.opts;
    const started = Date.now();
    const timeout = o.connectTimeoutMs ?? 10_000;
    const [sr, tr] = await Promise.allSettled([Side.open(o.source, 'source', timeout), Side.open(o.target, 'destination', timeout)]);
    if (sr.status === 'rejected' || tr.status === 'rejected') {
      if (sr.status === 'fulfilled') sr.value.close();
      if (tr.status === 'fulfilled') tr.value.close();
      throw sr.status === 'rejected' ? sr.reason : (tr as PromiseRejectedResult).reason;
    }
    const source = sr.value;
    const target = tr.value;
    try {
      const settings = compareSettings(o, source, target);
      const comparator = new KeyComparator(source, target, settings, new RateLimiter(o.rateLimit), o.signal);
      const pairs = await this.plan(source, target);
      const rounds: RoundResult[] = [];
      const maxRounds = o.rounds ?? DEFAULT_ROUNDS;
      let previous: RoundState | undefined;
      for (let round = 1; round <= maxRounds; round++) {
        if (previous) {
          if (previous.conflicts === 0 && previous.unsettled === 0 && !previous.overflow) break;
          await sleep(o.intervalMs ?? DEFAULT_INTERVAL_MS, o.signal);
        }
        const all = !previous || previous.overflow;
        const state = new RoundState(round, all ? 'all' : 'recheck', o.sampleSize ?? DEFAULT_SAMPLE_SIZE, o.maxRecheckKeys ?? DEFAULT_MAX_RECHECK_KEYS,
          round === maxRounds);
        if (all) await this.fullRound(state, comparator, source, target, pairs);
        else await this.recheckRound(state, comparator, previous!, pairs);
        const result = state.result();
        rounds.push(result);
        await o.onRound?.(result);
        previous = state;
      }
      const final = rounds[rounds.length - 1];
      const finished = Date.now();
      return {
        equal: final.conflicts === 0,
        startedAt: new Date(started).toISOString(),
        finishedAt: new Date(finished).toISOString(),
        durationMs: finished - started,
        settings: this.settingsOut(settings),
        source: sideInfo(source),
        target: sideInfo(target),
        rounds,
        final,
      };
    } finally {
      source.close();
      target.close();
    }
  }

  private settingsOut(s: CompareSettings): VerifyResult['settings'] {
    return {
      mode: s.mode,
      rounds: this.opts.rounds ?? DEFAULT_ROUNDS,
      intervalMs: this.opts.intervalMs ?? DEFAULT_INTERVAL_MS,
      rateLimit: this.opts.rateLimit ? this.opts.rateLimit : null,
      bigKeyThreshold: s.bigKeyThreshold,
      ttlExtendSeconds: s.ttlExtendMs / 1000,
      ttlToleranceMs: s.ttlToleranceMs,
      digest: s.digest,
    };
  }

  /** The source DBs to compare and their destination DBs. */
  private async plan(source: Side, target: Side): Promise<DbPair[]> {
    const selected = this.filter.selectedDbs();
    let dbs: number[];
    if (selected) {
      dbs = selected;
    } else if (source.cluster) {
      dbs = [0];
    } else {
      // Every DB with keys on the source, and every DB whose destination DB has keys (those may all be lack_source).
      const [sks, tks, count] = await Promise.all([source.keyspace(), target.keyspace(), source.databases()]);
      const set = new Set<number>(sks.keys());
      for (let db = 0; db < count; db++) if (tks.has(this.filter.mapDb(db))) set.add(db);
      dbs = [...set].sort((a, b) => a - b);
      if (dbs.length === 0) dbs = [0];
    }
    const pairs = dbs.map((db) => ({ db, tdb: this.filter.mapDb(db) }));
    if (source.cluster) {
      const bad = pairs.find((p) => p.db !== 0);
      if (bad) throw new VerifyError('CLUSTER_DB', `the source is a cluster, which has DB 0 only, but DB ${bad.db} is selected`, 'select DB 0');
    }
    if (target.cluster) {
      const bad = pairs.find((p) => p.tdb !== 0);
      if (bad) {
        throw new VerifyError('CLUSTER_DB', `the destination is a cluster, which has DB 0 only, but source DB ${bad.db} is mapped to DB ${bad.tdb}`,
          'map every selected DB to DB 0');
      }
    }
    return pairs;
  }

  private progress(state: RoundState, phase: VerifyProgress['phase'], db: number, keysTotal: number): void {
    this.opts.onProgress?.({ round: state.round, phase, db, keysChecked: state.keysChecked, keysTotal, conflicts: state.conflicts });
  }

  private matchPattern(): Buffer | undefined {
    const include = (this.filterOpts?.includePrefixes ?? []).filter((p) => p.length > 0);
    return include.length === 1 ? prefixPattern(include[0]) : undefined;
  }

  private async fullRound(state: RoundState, cmp: KeyComparator, source: Side, target: Side, pairs: DbPair[]): Promise<void> {
    const o = this.opts;
    const batchSize = o.batchSize ?? DEFAULT_BATCH_SIZE;
    const match = this.matchPattern();
    const sks = await source.keyspace();
    const keysTotal = pairs.reduce((n, p) => n + (sks.get(p.db) ?? 0), 0);
    // Source side: every key is compared.
    for (const { db, tdb } of pairs) {
      state.db(db, tdb);
      const batch: Buffer[] = [];
      const flush = async () => {
        const keys = batch.splice(0, batchSize);
        state.outcome(db, tdb, await cmp.compare(db, tdb, keys));
        state.checked(db, tdb, keys.length);
        this.progress(state, 'source', db, keysTotal);
      };
      for await (const keys of source.scan(db, { match, signal: o.signal })) {
        for (const k of keys) if (this.filter.acceptsKey(k)) batch.push(k);
        while (batch.length >= batchSize) await flush();
      }
      while (batch.length > 0) await flush();
    }
    // Destination side: keys of the mapped DBs that no source DB written there has.
    const byTarget = new Map<number, number[]>();
    for (const { db, tdb } of pairs) byTarget.set(tdb, [...(byTarget.get(tdb) ?? []), db]);
    for (const [tdb, dbs] of byTarget) {
      const batch: Buffer[] = [];
      const flush = async () => {
        const keys = batch.splice(0, batchSize);
        const missing = await cmp.missingOnSource(dbs, keys);
        const lacking = keys.filter((_, i) => missing[i]);
        // Compared as any other key: one deleted from the destination after the scan, or just written to the source, is no lack_source.
        if (lacking.length > 0) await this.compareKeys(state, cmp, dbs[0], tdb, lacking, pairs);
        const found = lacking.length;
        state.checked(dbs[0], tdb, found);
        this.progress(state, 'target', dbs[0], keysTotal);
      };
      for await (const keys of target.scan(tdb, { match, signal: o.signal })) {
        for (const k of keys) if (this.filter.acceptsKey(k)) batch.push(k);
        while (batch.length >= batchSize) await flush();
      }
      while (batch.length > 0) await flush();
    }
  }

  private async recheckRound(state: RoundState, cmp: KeyComparator, previous: RoundState, pairs: DbPair[]): Promise<void> {
    const batchSize = this.opts.batchSize ?? DEFAULT_BATCH_SIZE;
    const tdbOf = new Map(pairs.map((p) => [p.db, p.tdb]));
    const byDb = new Map<number, Buffer[]>();
    for (const { db, key } of previous.pending.values()) byDb.set(db, [...(byDb.get(db) ?? []), key]);
    const keysTotal = previous.pending.size;
    for (const { db, tdb } of pairs) {
      if (byDb.has(db)) state.db(db, tdb);
    }
    for (const [db, keys] of byDb) {
      const tdb = tdbOf.get(db) ?? this.filter.mapDb(db);
      for (let i = 0; i < keys.length; i += batchSize) {
        const batch = keys.slice(i, i + batchSize);
        await this.compareKeys(state, cmp, db, tdb, batch, pairs);
        state.checked(db, tdb, batch.length);
        this.progress(state, 'recheck', db, keysTotal);
      }
    }
  }

  /** Compares `keys` of source DB `db` with destination DB `tdb` and records what was found. */
  private async compareKeys(state: RoundState, cmp: KeyComparator, db: number, tdb: number, keys: Buffer[], pairs: DbPair[]): Promise<void> {
    const out = await cmp.compare(db, tdb, keys);
    // A key seen on the destination only may have been written to any source DB mapped there.
    const lackSource = out.conflicts.filter((c) => c.kind === 'lack_source');
    const others = pairs.filter((p) => p.tdb === tdb && p.db !== db).map((p) => p.db);
    let cleared = new Set<Buffer>();
    if (lackSource.length > 0 && others.length > 0) {
      const missing = await cmp.missingOnSource(others, lackSource.map((c) => c.key));
      cleared = new Set(lackSource.filter((_, j) => !missing[j]).map((c) => c.key));
    }
    state.outcome(db, tdb, out, (c) => !cleared.has(c.key));
  }
}

function sideInfo(side: Side): SideInfo {
  return {
    role: side.role,
    address: side.address,
    cluster: side.cluster,
    nodes: side.nodes.map((n) => n.address),
    version: side.nodes[0]?.caps.version ?? 'unknown',
    debugDigest: side.digest,
  };
}

/** Runs one verification. */
export function verify(opts: VerifierOptions): Promise<VerifyResult> {
  return new Verifier(opts).run();
}
