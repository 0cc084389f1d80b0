/**
 * What the engine knows about each command a master can send in its replication
 * stream: where its keys are, and how it must be handled. A command missing from
 * this table cannot be replayed: the task fails naming it rather than dropping it.
 */

/** How a command is treated when replayed. */
export type CommandKind =
  /** An ordinary keyed write, replayed as is. */
  | 'write'
  /** A write that names no key and changes global state (FUNCTION LOAD, SCRIPT LOAD): sent to every destination master. */
  | 'global'
  /** Handled by the engine itself (SELECT, MULTI, EXEC, FLUSHDB, FLUSHALL, SWAPDB, MOVE, COPY). */
  | 'control'
  /** Never replayed (PUBLISH, PING, REPLCONF). */
  | 'drop';

type KeySpec =
  /** Keys at argv[first..last] stepping by step; last < 0 counts from the end (-1 = last argument). */
  | { first: number; last: number; step: number }
  /** Keys found by a function. */
  | ((argv: readonly Buffer[]) => number[]);

export interface CommandInfo {
  name: string;
  kind: CommandKind;
  keys: KeySpec;
}

const NONE: KeySpec = { first: 0, last: -2, step: 1 }; // last < first: no keys
const ONE: KeySpec = { first: 1, last: 1, step: 1 };
const TWO: KeySpec = { first: 1, last: 2, step: 1 };
const ALL: KeySpec = { first: 1, last: -1, step: 1 };
const PAIRS: KeySpec = { first: 1, last: -1, step: 2 };

function upper(b: Buffer | undefined): string {
  return b ? b.toString('latin1').toUpperCase() : '';
}

/** numkeys at argv[at], keys right after it; `extra` are positions of other keys (e.g. a destination). */
function numkeys(at: number, extra: number[] = []): KeySpec {
  return (argv) => {
    const n = Number(argv[at]?.toString('latin1'));
    if (!Number.isInteger(n) || n < 0 || at + n >= argv.length) return [...extra];
    return [...extra, ...Array.from({ length: n }, (_, i) => at + 1 + i)];
  };
}

/** Key at argv[1] plus the argument after the first of `options` (e.g. SORT … STORE dst). */
function withOption(options: string[]): KeySpec {
  return (argv) => {
    const keys = [1];
    for (let i = 2; i < argv.length - 1; i++) if (options.includes(upper(argv[i]))) keys.push(i + 1);
    return keys;
  };
}

const TABLE: Record<string, [CommandKind, KeySpec]> = {
  // strings
  APPEND: ['write', ONE], DECR: ['write', ONE], DECRBY: ['write', ONE], GETDEL: ['write', ONE], GETEX: ['write', ONE],
  GETSET: ['write', ONE], INCR: ['write', ONE], INCRBY: ['write', ONE], INCRBYFLOAT: ['write', ONE],
  MSET: ['write', PAIRS], MSETNX: ['write', PAIRS], PSETEX: ['write', ONE], SET: ['write', ONE], SETEX: ['write', ONE],
  SETNX: ['write', ONE], SETRANGE: ['write', ONE], SETBIT: ['write', ONE], BITFIELD: ['write', ONE],
  BITOP: ['write', { first: 2, last: -1, step: 1 }], LCS: ['write', TWO],
  // keyspace
  DEL: ['write', ALL], UNLINK: ['write', ALL], EXPIRE: ['write', ONE], EXPIREAT: ['write', ONE], PEXPIRE: ['write', ONE],
  PEXPIREAT: ['write', ONE], PERSIST: ['write', ONE], RENAME: ['write', TWO], RENAMENX: ['write', TWO],
  RESTORE: ['write', ONE], 'RESTORE-ASKING': ['write', ONE], TOUCH: ['write', ALL],
  MOVE: ['control', ONE], COPY: ['control', TWO],
  SORT: ['write', withOption(['STORE'])],
  // lists
  BLPOP: ['write', { first: 1, last: -2, step: 1 }], BRPOP: ['write', { first: 1, last: -2, step: 1 }],
  BRPOPLPUSH: ['write', TWO], BLMOVE: ['write', TWO], LINSERT: ['write', ONE], LMOVE: ['write', TWO], LPOP: ['write', ONE],
  LPUSH: ['write', ONE], LPUSHX: ['write', ONE], LREM: ['write', ONE], LSET: ['write', ONE], LTRIM: ['write', ONE],
  RPOP: ['write', ONE], RPOPLPUSH: ['write', TWO], RPUSH: ['write', ONE], RPUSHX: ['write', ONE],
  LMPOP: ['write', numkeys(1)], BLMPOP: ['write', numkeys(2)],
  // sets
  SADD: ['write', ONE], SDIFFSTORE: ['write', ALL], SINTERSTORE: ['write', ALL], SMOVE: ['write', TWO], SPOP: ['write', ONE],
  SREM: ['write', ONE], SUNIONSTORE: ['write', ALL],
  // sorted sets
  ZADD: ['write', ONE], ZINCRBY: ['write', ONE], ZREM: ['write', ONE], ZREMRANGEBYLEX: ['write', ONE],
  ZREMRANGEBYRANK: ['write', ONE], ZREMRANGEBYSCORE: ['write', ONE], ZPOPMIN: ['write', ONE], ZPOPMAX: ['write', ONE],
  BZPOPMIN: ['write', { first: 1, last: -2, step: 1 }], BZPOPMAX: ['write', { first: 1, last: -2, step: 1 }],
  ZUNIONSTORE: ['write', numkeys(2, [1])], ZINTERSTORE: ['write', numkeys(2, [1])], ZDIFFSTORE: ['write', numkeys(2, [1])],
  ZRANGESTORE: ['write', TWO], ZMPOP: ['write', numkeys(1)], BZMPOP: ['write', numkeys(2)],
  // hashes (HPEXPIREAT and friends: 7.4+ field expiry)
  HDEL: ['write', ONE], HINCRBY: ['write', ONE], HINCRBYFLOAT: ['write', ONE], HMSET: ['write', ONE], HSET: ['write', ONE],
  HSETNX: ['write', ONE], HEXPIRE: ['write', ONE], HPEXPIRE: ['write', ONE], HEXPIREAT: ['write', ONE],
  HPEXPIREAT: ['write', ONE], HPERSIST: ['write', ONE], HGETDEL: ['write', ONE], HGETEX: ['write', ONE], HSETEX: ['write', ONE],
  // hyperloglog, geo
  PFADD: ['write', ONE], PFMERGE: ['write', ALL], PFCOUNT: ['write', ALL],
  GEOADD: ['write', ONE], GEORADIUS: ['write', withOption(['STORE', 'STOREDIST'])],
  GEORADIUSBYMEMBER: ['write', withOption(['STORE', 'STOREDIST'])], GEOSEARCHSTORE: ['write', TWO],
  // streams
  XADD: ['write', ONE], XACK: ['write', ONE], XCLAIM: ['write', ONE], XAUTOCLAIM: ['write', ONE], XDEL: ['write', ONE],
  XTRIM: ['write', ONE], XSETID: ['write', ONE], XGROUP: ['write', { first: 2, last: 2, step: 1 }],
  // Redis 8.2+ / Valkey 9 (commands/translate.ts handles destinations without them)
  XDELEX: ['write', ONE], XACKDEL: ['write', ONE], DELIFEQ: ['write', ONE],
  // vector sets (Redis 8's built-in module "vectorset"; the only writes it propagates, each verbatim)
  VADD: ['write', ONE], VREM: ['write', ONE], VSETATTR: ['write', ONE],
  // scripting: 5.0–6.2 masters can still send EVAL verbatim
  EVAL: ['write', numkeys(2)], EVALSHA: ['write', numkeys(2)], EVAL_RO: ['write', numkeys(2)],
  EVALSHA_RO: ['write', numkeys(2)], FCALL: ['write', numkeys(2)],
  SCRIPT: ['global', NONE], FUNCTION: ['global', NONE],
  // handled by the engine
  SELECT: ['control', NONE], MULTI: ['control', NONE], EXEC: ['control', NONE], FLUSHDB: ['control', NONE],
  FLUSHALL: ['control', NONE], SWAPDB: ['control', NONE],
  // never replayed
  PING: ['drop', NONE], REPLCONF: ['drop', NONE], PUBLISH: ['drop', NONE], SPUBLISH: ['drop', NONE], OPINFO: ['drop', NONE],
};

const INFO = new Map<string, CommandInfo>(
  Object.entries(TABLE).map(([name, [kind, keys]]) => [name, { name, kind, keys }]),
);

/** The command's upper-case name. */
export function commandName(argv: readonly Buffer[]): string {
  return upper(argv[0]);
}

/** Lookups by the name as sent (masters repeat the client's spelling), so the hot path rarely upper-cases. */
const BY_SPELLING = new Map<string, CommandInfo | null>();

/** The last name looked up, as bytes: a stream mostly repeats one spelling (a SET burst). */
let lastName: Buffer = Buffer.alloc(0);
let lastInfo: CommandInfo | null = null;

/** What the engine knows about this command, or undefined when it cannot replay it. */
export function commandInfo(argv: readonly Buffer[]): CommandInfo | undefined {
  const name = argv[0];
  if (name && sameBytes(name, lastName)) return lastInfo ?? undefined;
  const spelled = name ? name.toString('latin1') : '';
  let info = BY_SPELLING.get(spelled);
  if (info === undefined) {
    info = INFO.get(spelled.toUpperCase()) ?? null;
    if (BY_SPELLING.size < 4096) BY_SPELLING.set(spelled, info);
  }
  if (name && name.length <= 32) {
    lastName = Buffer.from(name); // a copy: a view would keep the stream's whole chunk alive
    lastInfo = info;
  }
  return info ?? undefined;
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Positions in argv of the command's keys (empty for keyless commands). */
export function keyPositions(info: CommandInfo, argv: readonly Buffer[]): number[] {
  const spec = info.keys;
  if (typeof spec === 'function') return spec(argv).filter((i) => i > 0 && i < argv.length);
  const last = spec.last < 0 ? argv.length + spec.last : spec.last;
  const out: number[] = [];
  for (let i = spec.first; i <= last && i < argv.length; i += spec.step) if (i > 0) out.push(i);
  return out;
}

/**
 * A stream command as the engine handles it: what it is and where its keys are, worked
 * out once (the applier, the filter and the writer's routing all need the keys).
 */
export interface KeyedCommand {
  argv: Buffer[];
  info: CommandInfo;
  /** Positions of its keys in argv. */
  keys: number[];
}

export function keyedCommand(info: CommandInfo, argv: Buffer[]): KeyedCommand {
  return { argv, info, keys: keyPositions(info, argv) };
}

export function commandKeys(info: CommandInfo, argv: readonly Buffer[]): Buffer[] {
  return keyPositions(info, argv).map((i) => argv[i]);
}

/** Every command name the engine can replay (for docs and the precheck). */
export function replayableCommands(): string[] {
  return [...INFO.values()].filter((i) => i.kind !== 'drop').map((i) => i.name).sort();
}

/**
 * Commands that set parts of the data to values given in their arguments (a key, a
 * field, a member, an element at an index, an absolute expire time), so that running a
 * run of them twice in order leaves what running it once did. After a destination
 * connection breaks with commands unanswered, the writer sends those again: any of the
 * others the destination had already run would then count twice (INCR, RPUSH …) or
 * fail (XADD with an explicit id, RENAME …).
 */
const REPLAY_SAFE = new Set([
  'SET', 'SETEX', 'PSETEX', 'SETNX', 'MSET', 'MSETNX', 'SETRANGE', 'SETBIT', 'DEL', 'UNLINK', 'PEXPIREAT', 'EXPIREAT',
  'PERSIST', 'HSET', 'HMSET', 'HSETNX', 'HDEL', 'SADD', 'SREM', 'ZREM', 'ZREMRANGEBYSCORE', 'ZREMRANGEBYLEX', 'GEOADD',
  'PFADD', 'LSET', 'XACK', 'XDEL', 'XSETID', 'XCLAIM', 'SELECT', 'MULTI', 'EXEC', 'FLUSHDB', 'FLUSHALL', 'PING',
  // an element's vector (and attributes) as given, its removal, its attributes as given
  'VADD', 'VREM', 'VSETATTR',
]);

export function replaySafe(argv: readonly Buffer[]): boolean {
  const name = commandName(argv);
  if (REPLAY_SAFE.has(name)) return true;
  const args = argv.slice(1).map(upper);
  switch (name) {
    case 'ZADD': return !args.includes('INCR');
    case 'RESTORE': return args.includes('REPLACE');
    case 'XTRIM': return true;
    case 'XGROUP': return ['SETID', 'DESTROY', 'CREATECONSUMER', 'DELCONSUMER'].includes(args[0] ?? '');
    case 'FUNCTION': return args[0] === 'LOAD' && args.includes('REPLACE');
    case 'SCRIPT': return args[0] === 'LOAD';
    default: return false;
  }
}
