/**
 * Incremental Data Verification: the synchronization tells it which keys the
 * stream wrote (DB, key, when); each key is compared a few seconds later, and
 * the ones still different are reported. Memory is bounded: a key queued twice
 * is checked once, the queue has a cap, and keys that did not fit are counted.
 *
 * A key written again after it was queued may still be in flight when its
 * check comes; such a key is checked again (up to `maxAttempts` times) before
 * it is reported.
 */
import { EventEmitter } from 'node:events';
import { EntryFilter, type FilterOptions } from '../filter';
import type { RedisEndpoint } from '../endpoint';
import { describeError } from '../errors';
import { KeyComparator, compareSettings, type KeyConflict } from './compare';
import { printable } from '../keys';
import { keyId } from './keys';
import { RateLimiter } from './rate';
import { Side } from './side';
import type { CompareOptions, Conflict } from './types';

export interface IncrementalVerifierOptions extends CompareOptions {
  source: RedisEndpoint;
  target: RedisEndpoint;
  filter?: FilterOptions | EntryFilter;
  /** How long after a write its key is compared. Default 5000 ms. */
  delayMs?: number;
  /** Keys waiting at most; further keys are dropped and counted. Default 100,000. */
  maxQueue?: number;
  /** Checks of a key written again while it waited. Default 3. */
  maxAttempts?: number;
  /** Recent differences kept for `differences()`. Default 100. */
  sampleSize?: number;
  /** How often due keys are looked for. Default 200 ms. */
  tickMs?: number;
  connectTimeoutMs?: number;
}

export interface IncrementalStats {
  /** Keys waiting for their check. */
  queued: number;
  /** Writes of a key already waiting (merged into its check). */
  merged: number;
  /** Keys not queued because the queue was full. */
  dropped: number;
  /** Keys compared and found equal. */
  equal: number;
  /** Keys compared and found different (reported). */
  different: number;
  /** Keys checked again because they were written while waiting. */
  retried: number;
  /** Writes ignored because the task does not carry that DB or key. */
  filtered: number;
  /** Checks that failed (e.g. a broken connection); their keys stay queued and are tried again. */
  errors: number;
  lastError?: string;
}

interface Entry {
  db: number;
  key: Buffer;
  due: number;
  lastWrite: number;
  attempts: number;
}

export interface IncrementalVerifierEvents {
  difference: [Conflict];
  error: [Error];
}

export class IncrementalVerifier extends EventEmitter<IncrementalVerifierEvents> {
  private readonly filter: EntryFilter;
  private readonly queue = new Map<string, Entry>();
  private readonly recent: Conflict[] = [];
  private readonly counters = { merged: 0, dropped: 0, equal: 0, different: 0, retried: 0, filtered: 0, errors: 0 };
  private lastError?: string;
  private source?: Side;
  private target?: Side;
  private comparator?: KeyComparator;
  private timer?: NodeJS.Timeout;
  private busy?: Promise<void>;
  private stopped = false;

  constructor(private readonly opts: IncrementalVerifierOptions) {
    super();
    this.filter = opts.filter instanceof EntryFilter ? opts.filter : new EntryFilter(opts.filter ?? {});
  }

  private get delayMs(): number {
    return this.opts.delayMs ?? 5_000;
  }

  /** Connects to both sides and starts checking due keys. */
  async start(): Promise<void> {
    const timeout = this.opts.connectTimeoutMs ?? 10_000;
    const [s, t] = await Promise.allSettled([Side.open(this.opts.source, 'source', timeout), Side.open(this.opts.target, 'destination', timeout)]);
    if (s.status === 'rejected' || t.status === 'rejected') {
      if (s.status === 'fulfilled') s.value.close();
      if (t.status === 'fulfilled') t.value.close();
      throw s.status === 'rejected' ? s.reason : (t as PromiseRejectedResult).reason;
    }
    this.source = s.value;
    this.target = t.value;
    this.comparator = new KeyComparator(this.source, this.target, compareSettings(this.opts, this.source, this.target), new RateLimiter(this.opts.rateLimit));
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 200);
    this.timer.unref?.();
  }

  /** The stream wrote `key` in source DB `db` at `when` (ms since the epoch; default now). */
  noteWrite(db: number, key: Buffer | string, when = Date.now()): void {
    if (this.stopped) return;
    const k = typeof key === 'string' ? Buffer.from(key) : key;
    if (!this.filter.acceptsDb(db) || !this.filter.acceptsKey(k)) {
      this.counters.filtered++;
      return;
    }
    const id = keyId(db, k);
    const entry = this.queue.get(id);
    if (entry) {
      entry.lastWrite = Math.max(entry.lastWrite, when);
      this.counters.merged++;
      return;
    }
    if (this.queue.size >= (this.opts.maxQueue ?? 100_000)) {
      this.counters.dropped++;
      return;
    }
    this.queue.set(id, { db, key: k, due: when + this.delayMs, lastWrite: when, attempts: 0 });
  }

  stats(): IncrementalStats {
    return { queued: this.queue.size, ...this.counters, ...(this.lastError ? { lastError: this.lastError } : {}) };
  }

  /** The most recent differences (at most `sampleSize`), oldest first. */
  differences(): Conflict[] {
    return [...this.recent];
  }

  /** Checks every queued key now, whatever its due time (e.g. before a task ends). */
  async flush(): Promise<void> {
    while (this.busy) await this.busy.catch(() => undefined);
    const run = (async () => {
      for (const e of this.queue.values()) e.due = 0;
      // Each pass checks up to 1024 keys and, being final, leaves none of them queued;
      // keys written during the flush wait for their own time.
      const passes = Math.ceil(this.queue.size / 1024);
      for (let i = 0; i < passes; i++) await this.checkDue(true);
    })();
    this.busy = run.catch(() => undefined).finally(() => { this.busy = undefined; });
    await run;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    await this.busy?.catch(() => undefined);
    this.source?.close();
    this.target?.close();
  }

  private tick(): void {
    if (this.busy || this.stopped) return;
    this.busy = this.checkDue(false)
      .catch((err: unknown) => {
        this.counters.errors++;
        this.lastError = describeError(err);
        if (this.listenerCount('error') > 0) this.emit('error', err instanceof Error ? err : new Error(String(err)));
      })
      .finally(() => { this.busy = undefined; });
  }

  private async checkDue(final: boolean): Promise<void> {
    const cmp = this.comparator;
    if (!cmp) return;
    const now = Date.now();
    const due: Entry[] = [];
    // Entries are queued in write order with one delay, so the due ones come first.
    for (const e of this.queue.values()) {
      if (e.due > now) {
        if (!final) break;
        continue;
      }
      due.push(e);
      if (due.length >= 1024) break;
    }
    if (due.length === 0) return;
    const byDb = new Map<number, Entry[]>();
    for (const e of due) byDb.set(e.db, [...(byDb.get(e.db) ?? []), e]);
    for (const [db, entries] of byDb) {
      const tdb = this.filter.mapDb(db);
      for (let i = 0; i < entries.length; i += 256) {
        const batch = entries.slice(i, i + 256);
        const out = await cmp.compare(db, tdb, batch.map((e) => e.key));
        const byKey = new Map<string, KeyConflict[]>();
        for (const c of out.conflicts) {
          const k = c.key.toString('latin1');
          byKey.set(k, [...(byKey.get(k) ?? []), c]);
        }
        const moving = new Set(out.unsettled.map((c) => c.key.toString('latin1')));
        for (const { key, keyType } of out.unsettled) {
          byKey.set(key.toString('latin1'), [{ key, kind: 'value', keyType, field: '(changed while verifying)' }]);
        }
        for (const e of batch) {
          const id = keyId(e.db, e.key);
          const found = byKey.get(e.key.toString('latin1'));
          this.queue.delete(id);
          if (!found) {
            this.counters.equal++;
            continue;
          }
          // Written again since this check was scheduled, or still changing while read: it may still be on its way.
          const rewritten = e.lastWrite > e.due - this.delayMs || moving.has(e.key.toString('latin1'));
          if (rewritten && !final && e.attempts + 1 < (this.opts.maxAttempts ?? 3)) {
            this.counters.retried++;
            this.queue.set(id, { ...e, due: Date.now() + this.delayMs, attempts: e.attempts + 1 });
            continue;
          }
          this.counters.different++;
          for (const { key, ...rest } of found) {
            const conflict: Conflict = { db, targetDb: tdb, key: printable(key), ...rest };
            this.recent.push(conflict);
            if (this.recent.length > (this.opts.sampleSize ?? 100)) this.recent.shift();
            this.emit('difference', conflict);
          }
        }
      }
    }
  }
}
