/**
 * RESP values as the parser returns them, and the codec's error type.
 *
 * Mapping (RESP2 and the RESP3 types a server may answer with):
 *
 * | Wire                  | Value                                                      |
 * |-----------------------|------------------------------------------------------------|
 * | `+` simple string     | `string` (UTF-8)                                           |
 * | `-` error, `!` blob   | `RespErrorReply` (a value, never thrown)                   |
 * | `:` integer           | `number`, or `bigint` outside ±2^53                        |
 * | `$` bulk string       | `Buffer` (`null` for `$-1`)                                |
 * | `*` array             | `RespValue[]` (`null` for `*-1`)                           |
 * | `_` null              | `null`                                                     |
 * | `,` double            | `number` (inf / -inf / nan included)                       |
 * | `#` boolean           | `boolean`                                                  |
 * | `(` big number        | `bigint`                                                   |
 * | `=` verbatim string   | `RespVerbatim`                                             |
 * | `%` map               | `RespMap` (entries in wire order; keys may be Buffers)     |
 * | `~` set               | `RespSet`                                                  |
 * | `>` push              | `RespPush`                                                 |
 * | `\|` attribute        | parsed and dropped; the value that follows is returned     |
 * | inline command        | `Buffer[]` (only with `inline: true`)                      |
 */
import { DtsError } from '../errors';

export type RespValue =
  | string
  | number
  | bigint
  | boolean
  | null
  | Buffer
  | RespErrorReply
  | RespValue[]
  | RespMap
  | RespSet
  | RespPush
  | RespVerbatim;

/** An error reply (`-ERR …` or `!<len>` blob error). `code` is its first word (`ERR`, `WRONGPASS`, `NOPERM`, …). */
export class RespErrorReply {
  readonly code: string;
  constructor(readonly message: string) {
    const space = message.indexOf(' ');
    this.code = space < 0 ? message : message.slice(0, space);
  }
  toString(): string {
    return this.message;
  }
}

export class RespMap {
  constructor(readonly entries: Array<[RespValue, RespValue]>) {}
  /** The value of the first entry whose key reads as `key` (string or Buffer keys). */
  get(key: string): RespValue | undefined {
    for (const [k, v] of this.entries) {
      if ((typeof k === 'string' && k === key) || (Buffer.isBuffer(k) && k.toString() === key)) return v;
    }
    return undefined;
  }
}

export class RespSet {
  constructor(readonly items: RespValue[]) {}
}

export class RespPush {
  constructor(readonly items: RespValue[]) {}
}

export class RespVerbatim {
  /** `format` is the three-letter type (`txt`, `mkd`). */
  constructor(readonly format: string, readonly data: Buffer) {}
  toString(): string {
    return this.data.toString();
  }
}

export type RespErrorCode = 'RESP_PROTOCOL' | 'RESP_LIMIT';

/** A protocol violation or a limit exceeded while parsing: the byte stream cannot be trusted any more. */
export class RespError extends DtsError {
  constructor(code: RespErrorCode, message: string, hint?: string) {
    super(code, message, hint);
  }
}
