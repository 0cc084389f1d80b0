/**
 * The engine's error base. Every error a user can meet carries a stable `code`
 * (for programs and tests), a message written for a person, and when known a
 * `hint` saying what to do about it. Subsystems extend it (RdbError, LinkError, ...).
 */
export class DtsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  /** One line for logs and the CLI: the message, then the hint. */
  describe(): string {
    return this.hint ? `${this.message} (${this.hint})` : this.message;
  }
}

export function describeError(err: unknown): string {
  if (err instanceof DtsError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
