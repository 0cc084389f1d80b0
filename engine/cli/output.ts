/**
 * Everything the engine's CLIs print goes through here — usage errors, progress, log lines,
 * errors, `--json` events — so no password reaches a terminal or a log: each text is passed
 * through redactCredentials (engine/endpoint.ts) with the passwords this run was given.
 */
import { redactCredentials, urlSecrets } from '../endpoint';
import { PASSWORD_ENV } from './args';

export class CliOutput {
  private readonly secrets: string[] = [];
  /** Passwords written in URLs the pattern covers. */
  private readonly inUrls: string[] = [];

  /**
   * Learns the passwords of the environment, and of the URLs in `argv` that the URL pattern does not
   * cover (a password with a space or a `/` nobody encoded): those are replaced wherever they appear.
   * (A password the pattern covers is not replaced elsewhere: `redis://:wrong@…` must not turn
   * "wrong password" into "*** password".)
   */
  constructor(argv: readonly string[], env: NodeJS.ProcessEnv = process.env) {
    for (const arg of argv) {
      if (!arg.includes('://')) continue;
      const shown = redactCredentials(arg);
      for (const s of urlSecrets(arg)) (shown.includes(s) ? this.secrets : this.inUrls).push(s);
    }
    for (const name of Object.values(PASSWORD_ENV)) {
      const value = env[name];
      if (value) this.secrets.push(value);
    }
  }

  /** The passwords of the parsed endpoints: those not written in a URL came from a file or the environment. */
  secret(...values: (string | undefined)[]): void {
    for (const v of values) if (v && !this.inUrls.includes(v)) this.secrets.push(v);
  }

  redact(text: string): string {
    return redactCredentials(text, this.secrets);
  }

  /** Standard output (tables, --json). */
  out(text: string): void {
    process.stdout.write(this.redact(text));
  }

  /** Standard error (progress, logs, errors, usage). */
  err(text: string): void {
    process.stderr.write(this.redact(text));
  }

  /** One JSON document on stdout; every string in it redacted (the JSON stays valid). */
  json(value: unknown, indent?: number): void {
    process.stdout.write(`${JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? this.redact(v) : v), indent)}\n`);
  }
}
