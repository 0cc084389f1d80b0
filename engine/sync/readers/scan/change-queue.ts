/**
 * The keys the source changed and the destination has not caught up with, each once
 * (a key written a thousand times while it waits is read once), oldest first. Its age
 * is the task's delay in scan mode. Bounded: past `maxKeys` it gives up its contents and
 * says which DBs they were in, and the reader re-scans those DBs instead.
 */
export interface QueuedKey {
  db: number;
  key: Buffer;
  /** When the oldest change not yet written happened (ms). */
  since: number;
}

export class ChangeQueue {
  private readonly keys = new Map<string, QueuedKey>();
  private waiter?: () => void;
  /** Changes merged into a key already waiting. */
  merged = 0;

  constructor(private readonly maxKeys: number, private readonly onOverflow: (dbs: number[]) => void, private readonly now = Date.now) {}

  get size(): number {
    return this.keys.size;
  }

  add(db: number, key: Buffer): void {
    const id = `${db}:${key.toString('latin1')}`;
    if (this.keys.has(id)) {
      this.merged++;
      return;
    }
    if (this.keys.size >= this.maxKeys) {
      const dbs = [...new Set([...this.keys.values()].map((k) => k.db).concat(db))].sort((a, b) => a - b);
      this.keys.clear();
      this.onOverflow(dbs);
      this.wake();
      return;
    }
    this.keys.set(id, { db, key, since: this.now() });
    this.wake();
  }

  /** Takes up to `n` keys, oldest first. */
  take(n: number): QueuedKey[] {
    const out: QueuedKey[] = [];
    for (const [id, k] of this.keys) {
      if (out.length >= n) break;
      this.keys.delete(id);
      out.push(k);
    }
    return out;
  }

  /** The oldest waiting change's age (ms), 0 when nothing waits. */
  ageMs(): number {
    for (const k of this.keys.values()) return Math.max(0, this.now() - k.since);
    return 0;
  }

  /** Resolves when a key arrives or `wake()` is called, or after `ms`. */
  wait(ms: number): Promise<void> {
    if (this.keys.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done(): void {
        clearTimeout(timer);
        if (self.waiter === done) self.waiter = undefined;
        resolve();
      }
      this.waiter = done;
    });
  }

  wake(): void {
    this.waiter?.();
  }
}
