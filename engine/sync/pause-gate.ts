/**
 * Pause between two commands of the stream. The consumer (the stream loop) calls
 * `enter()`/`leave()` around each batch and `wait()` before each command; whoever
 * pauses gets a promise that resolves once no more commands are applied — the
 * loop parked at a command boundary, or it was not applying at all — so "Paused"
 * is true when shown. `open()` lets the loop go on.
 */
export class PauseGate {
  private closed = false;
  /** The loop is applying a batch: a pause waits for it to park. */
  private applying = false;
  /** The loop waits in wait() for open(): a further pause has nothing to wait for. */
  private parked = false;
  private openWaiters: (() => void)[] = [];
  private parkWaiters: (() => void)[] = [];

  get isClosed(): boolean {
    return this.closed;
  }

  /** Asks the loop to stop; true when it was running. */
  close(): boolean {
    if (this.closed) return false;
    this.closed = true;
    return true;
  }

  /** Resolves once the loop applies nothing more (parked, or between batches). */
  async quiet(): Promise<void> {
    if (this.applying && !this.parked) await new Promise<void>((r) => this.parkWaiters.push(r));
  }

  /** Lets the loop go on; true when it was paused. */
  open(): boolean {
    if (!this.closed) return false;
    this.closed = false;
    this.parked = false;
    for (const w of this.openWaiters.splice(0)) w();
    return true;
  }

  enter(): void {
    this.applying = true;
  }

  leave(): void {
    this.applying = false;
    for (const w of this.parkWaiters.splice(0)) w();
  }

  /** Before a command: while paused, tell quiet() that nothing more is applied, and wait for open(). */
  async wait(): Promise<void> {
    // Paused again before this woke up from an open(): park again (and answer that pause).
    while (this.closed) {
      for (const w of this.parkWaiters.splice(0)) w();
      this.parked = true;
      await new Promise<void>((r) => this.openWaiters.push(r));
    }
  }
}
