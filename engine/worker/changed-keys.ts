/**
 * The keys a task's stream has written since its engine started, for the cut over's final
 * check (lib/engine/cutover.ts): each (DB, key) once, up to a bound; past it the set says
 * it overflowed (the cut over then relies on its sample).
 */
export const MAX_CHANGED_KEYS = 50_000;

export class ChangedKeys {
  private readonly keys = new Map<string, { db: number; key: Buffer }>();
  overflow = false;

  constructor(private readonly max = MAX_CHANGED_KEYS) {}

  note(db: number, key: Buffer): void {
    if (this.overflow) return;
    const id = `${db}:${key.toString('latin1')}`;
    if (this.keys.has(id)) return;
    if (this.keys.size >= this.max) {
      this.overflow = true;
      return;
    }
    // A copy: the key may be a view into a buffer the reader reuses.
    this.keys.set(id, { db, key: Buffer.from(key) });
  }

  list(): { db: number; key: Buffer }[] {
    return [...this.keys.values()];
  }
}
