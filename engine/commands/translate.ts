/**
 * Commands of a newer source's replication stream, for a destination that lacks them (issue 14).
 * Redis 8 and Valkey 9 rewrite many writes before propagating them — HINCRBYFLOAT as
 * `HSETEX key KEEPTTL FIELDS 1 f v`, HGETEX as HPEXPIREAT/HPERSIST, BLMOVE as LMOVE, SET … EX as
 * SET … PXAT, XREADGROUP as XCLAIM + XGROUP SETID … ENTRIESREAD — and clients send the new
 * commands themselves. Each one a destination does not have (servers/facts.ts) is replayed as
 * commands it has, with the same effect, or fails the task naming the command and the key; it
 * is never forwarded for the destination to refuse.
 *
 * A translation may be several commands: the applier writes them in order, the position mark on
 * the last, so a unit of the standalone writer (MULTI … record … EXEC) holds all of them or none.
 *
 * Options that are conditions (SET … IFEQ, PEXPIREAT … GT, HSETEX … FNX / NX, ZADD … XX) were
 * already true on the source, or the command would not have been propagated; the destination
 * holds what the source held at that point, so they can be dropped where the destination lacks
 * them — except where a condition is per element (ZADD … GT|LT), which is emulated.
 */
import { DtsError } from '../errors';
import { hasFeature, serverLabel, type Feature, type ServerVersion } from '../servers/facts';

export class CommandTranslationError extends DtsError {}

/** The commands to write instead of one (empty: nothing to write). */
export type Translation = Buffer[][];

type Rule = (argv: Buffer[], t: TranslateContext) => Translation | undefined;

interface TranslateContext {
  dest: ServerVersion;
  has: (f: Feature) => boolean;
  fail: (argv: Buffer[], why: string, hint?: string) => never;
}

const b = (s: string | number): Buffer => Buffer.from(String(s));
const up = (x: Buffer | undefined): string => (x ? x.toString('latin1').toUpperCase() : '');
const num = (x: Buffer | undefined): number => Number(x?.toString('latin1'));

function keyOf(argv: Buffer[]): string {
  return argv[1] ? argv[1].toString() : '';
}

/** `FIELDS numfields f1 … fn` starting at argv[at]: the fields, and where they end. */
function fieldsAt(argv: Buffer[], at: number, pairs: boolean): { fields: Buffer[]; values: Buffer[]; end: number } | undefined {
  if (up(argv[at]) !== 'FIELDS') return undefined;
  const n = num(argv[at + 1]);
  const width = pairs ? 2 : 1;
  if (!Number.isInteger(n) || n < 1 || at + 2 + n * width > argv.length) return undefined;
  const fields: Buffer[] = [];
  const values: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    fields.push(argv[at + 2 + i * width]);
    if (pairs) values.push(argv[at + 3 + i * width]);
  }
  return { fields, values, end: at + 2 + n * width };
}

const EXPIRY_OPTS = new Set(['EX', 'PX', 'EXAT', 'PXAT']);
/** SET's conditions on the old value (Valkey 8.1 IFEQ; Redis 8.4 IFEQ, IFNE, IFDEQ, IFDNE). */
const SET_CONDITIONS = new Set(['IFEQ', 'IFNE', 'IFDEQ', 'IFDNE']);

/** A field-TTL command for `fields`: EX → HEXPIRE, PX → HPEXPIRE, EXAT → HEXPIREAT, PXAT → HPEXPIREAT. */
function fieldExpire(key: Buffer, opt: string, when: Buffer, fields: Buffer[]): Buffer[] {
  const cmd = { EX: 'HEXPIRE', PX: 'HPEXPIRE', EXAT: 'HEXPIREAT', PXAT: 'HPEXPIREAT' }[opt]!;
  return [b(cmd), key, when, b('FIELDS'), b(fields.length), ...fields];
}

/**
 * HSETEX … KEEPTTL for a destination with field TTLs but no HSETEX (Redis 7.4): HSET clears a
 * field's TTL there, so the script reads each field's expiry first and sets it back.
 */
const HSET_KEEPTTL_SCRIPT = `local n = #ARGV / 2
local fields = {}
for i = 1, n do fields[i] = ARGV[2 * i - 1] end
local t = {}
if redis.call('EXISTS', KEYS[1]) == 1 then t = redis.call('HPEXPIRETIME', KEYS[1], 'FIELDS', n, unpack(fields)) end
redis.call('HSET', KEYS[1], unpack(ARGV))
for i = 1, n do
  if t[i] and t[i] > 0 then redis.call('HPEXPIREAT', KEYS[1], t[i], 'FIELDS', 1, fields[i]) end
end
return n`;

/** LMOVE src dst wherefrom whereto for a destination before 6.2 (RPOPLPUSH is RIGHT LEFT only). */
const LMOVE_SCRIPT = `local v = redis.call(ARGV[1] == 'LEFT' and 'LPOP' or 'RPOP', KEYS[1])
if v then redis.call(ARGV[2] == 'LEFT' and 'LPUSH' or 'RPUSH', KEYS[2], v) end
return v`;

/** LPOP / RPOP key count for a destination before 6.2. */
const POP_COUNT_SCRIPT = `for i = 1, tonumber(ARGV[2]) do
  if not redis.call(ARGV[1], KEYS[1]) then break end
end
return 1`;

/** COPY src dst [REPLACE] for a destination before 6.2: the value and its expiry, by DUMP and RESTORE. */
const COPY_SCRIPT = `local v = redis.call('DUMP', KEYS[1])
if not v then return 0 end
if ARGV[1] ~= 'REPLACE' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then ttl = 0 end
redis.call('RESTORE', KEYS[2], ttl, v, 'REPLACE')
return 1`;

/** ZADD key [XX] GT|LT score member … for a destination before 6.2: each member updated only when the condition holds. */
const ZADD_GTLT_SCRIPT = `local gt = ARGV[1] == 'GT'
local xx = ARGV[2] == 'XX'
for i = 3, #ARGV, 2 do
  local s = tonumber(ARGV[i])
  local cur = redis.call('ZSCORE', KEYS[1], ARGV[i + 1])
  if cur then
    cur = tonumber(cur)
    if (gt and s > cur) or ((not gt) and s < cur) then redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1]) end
  elseif not xx then
    redis.call('ZADD', KEYS[1], ARGV[i], ARGV[i + 1])
  end
end
return 1`;

function evalOf(script: string, keys: Buffer[], args: Buffer[]): Buffer[] {
  return [b('EVAL'), b(script), b(keys.length), ...keys, ...args];
}

const VECTOR_SET_HINT = 'vector sets need a destination running Redis 8.0+ (the module "vectorset" is built in); or leave the keys out of the task with a key filter';

/** The rules, by command name: each returns undefined when the command stays as it is. */
const RULES: Record<string, Rule> = {
  HSETEX(argv, t) {
    const key = argv[1];
    let i = 2;
    let expiry: { opt: string; when: Buffer } | undefined;
    let keepTtl = false;
    let dropped = false;
    while (i < argv.length && up(argv[i]) !== 'FIELDS') {
      const o = up(argv[i]);
      if (EXPIRY_OPTS.has(o)) { expiry = { opt: o, when: argv[i + 1] }; i += 2; continue; }
      if (o === 'KEEPTTL') { keepTtl = true; i++; continue; }
      if (o === 'NX' || o === 'XX') { dropped = true; i++; continue; } // Valkey's key condition
      if (o === 'FNX' || o === 'FXX') { i++; continue; }
      t.fail(argv, `an HSETEX option ${o} this engine does not know`);
    }
    const f = fieldsAt(argv, i, true);
    if (!f) return t.fail(argv, 'an HSETEX it cannot read');
    if (t.has('hsetex')) {
      if (!dropped || t.has('hsetexKeyCondition')) return undefined;
      // Redis 8 has HSETEX without Valkey's NX / XX (a condition on the key, true on the source).
      return [argv.filter((_, j) => j < 2 || j >= i || !['NX', 'XX'].includes(up(argv[j])))];
    }
    const hset = [b('HSET'), key, ...f.fields.flatMap((field, j) => [field, f.values[j]])];
    if (!t.has('fieldTtl')) {
      if (expiry) {
        t.fail(argv, `a hash field expiry on key "${keyOf(argv)}"`,
          'hash-field TTLs need a destination running Redis 7.4+ or Valkey 9.0+; or leave the key out of the task with a key filter');
      }
      return [hset]; // no field there has a TTL to keep
    }
    if (expiry) return [hset, fieldExpire(key, expiry.opt, expiry.when, f.fields)];
    if (keepTtl) return [evalOf(HSET_KEEPTTL_SCRIPT, [key], f.fields.flatMap((field, j) => [field, f.values[j]]))];
    return [hset]; // HSETEX without an expiry option clears the fields' TTLs, as HSET does
  },

  HGETEX(argv, t) {
    if (t.has('hsetex')) return undefined;
    const key = argv[1];
    const o = up(argv[2]);
    const at = o === 'PERSIST' ? 3 : EXPIRY_OPTS.has(o) ? 4 : 2;
    const f = fieldsAt(argv, at, false);
    if (!f) return t.fail(argv, 'an HGETEX it cannot read');
    if (o === 'PERSIST') return t.has('fieldTtl') ? [[b('HPERSIST'), key, b('FIELDS'), b(f.fields.length), ...f.fields]] : [];
    if (!EXPIRY_OPTS.has(o)) return [];
    if (!t.has('fieldTtl')) {
      t.fail(argv, `a hash field expiry on key "${keyOf(argv)}"`,
        'hash-field TTLs need a destination running Redis 7.4+ or Valkey 9.0+; or leave the key out of the task with a key filter');
    }
    return [fieldExpire(key, o, argv[3], f.fields)];
  },

  HGETDEL(argv, t) {
    if (t.has('hgetdel')) return undefined;
    const f = fieldsAt(argv, 2, false);
    if (!f) return t.fail(argv, 'an HGETDEL it cannot read');
    return [[b('HDEL'), argv[1], ...f.fields]];
  },

  HPERSIST(_argv, t) {
    // Without field TTLs on the destination no field there has one to remove.
    return t.has('fieldTtl') ? undefined : [];
  },

  HEXPIRE: fieldTtlOnly, HPEXPIRE: fieldTtlOnly, HEXPIREAT: fieldTtlOnly, HPEXPIREAT: fieldTtlOnly,

  SET(argv, t) {
    if (argv.length <= 3) return undefined; // the common case, cheaply
    const out: Buffer[] = [argv[0], argv[1], argv[2]];
    let changed = false;
    let atMs: number | undefined;
    for (let i = 3; i < argv.length; i++) {
      const o = up(argv[i]);
      const withArg = EXPIRY_OPTS.has(o) || SET_CONDITIONS.has(o);
      if (o === 'GET') { changed = true; continue; } // changes the reply only
      if (SET_CONDITIONS.has(o) && !t.has('setIfeq')) { changed = true; i++; continue; } // true on the source
      if ((o === 'PXAT' || o === 'EXAT') && !t.has('setAbsoluteExpiry')) {
        changed = true;
        atMs = o === 'PXAT' ? num(argv[i + 1]) : num(argv[i + 1]) * 1000;
        i++;
        continue;
      }
      out.push(argv[i]);
      if (withArg && i + 1 < argv.length) out.push(argv[++i]);
    }
    if (!changed) return undefined;
    return atMs !== undefined ? [out, [b('PEXPIREAT'), argv[1], b(atMs)]] : [out];
  },

  GETEX(argv, t) {
    if (t.has('setAbsoluteExpiry')) return undefined;
    const key = argv[1];
    const o = up(argv[2]);
    const map: Record<string, string> = { EX: 'EXPIRE', PX: 'PEXPIRE', EXAT: 'EXPIREAT', PXAT: 'PEXPIREAT' };
    if (o === 'PERSIST') return [[b('PERSIST'), key]];
    if (map[o]) return [[b(map[o]), key, argv[3]]];
    return [];
  },

  GETDEL(argv, t) {
    return t.has('setAbsoluteExpiry') ? undefined : [[b('DEL'), argv[1]]];
  },

  EXPIRE: expireFlags, PEXPIRE: expireFlags, EXPIREAT: expireFlags, PEXPIREAT: expireFlags,

  LMOVE(argv, t) {
    if (t.has('lmove')) return undefined;
    return [lmove(argv[1], argv[2], up(argv[3]), up(argv[4]))];
  },
  BLMOVE(argv, t) {
    if (t.has('lmove')) return undefined;
    return [lmove(argv[1], argv[2], up(argv[3]), up(argv[4]))];
  },

  LPOP: popCount, RPOP: popCount,

  COPY(argv, t) {
    if (t.has('copy')) return undefined;
    const opts = argv.slice(3).map(up);
    if (opts.includes('DB')) t.fail(argv, 'COPY … DB into another DB');
    return [evalOf(COPY_SCRIPT, [argv[1], argv[2]], [b(opts.includes('REPLACE') ? 'REPLACE' : '-')])];
  },

  ZADD(argv, t) {
    if (t.has('zaddGtLt')) return undefined;
    let i = 2;
    let cond: string | undefined;
    let xx = false;
    while (i < argv.length) {
      const o = up(argv[i]);
      if (o === 'GT' || o === 'LT') cond = o;
      else if (o === 'XX') xx = true;
      else if (o === 'INCR') { if (cond) t.fail(argv, 'ZADD … GT|LT INCR'); }
      else if (o !== 'NX' && o !== 'CH') break;
      i++;
    }
    if (!cond) return undefined;
    return [evalOf(ZADD_GTLT_SCRIPT, [argv[1]], [b(cond), b(xx ? 'XX' : '-'), ...argv.slice(i)])];
  },

  XADD(argv, t) {
    if (t.has('streamTrimMinid')) return undefined;
    const out: Buffer[] = [];
    for (let i = 0; i < argv.length; i++) {
      const o = i >= 2 ? up(argv[i]) : '';
      if (o === 'NOMKSTREAM') continue; // propagated only where the stream existed
      if (o === 'MINID') t.fail(argv, 'XADD … MINID');
      if (o === 'LIMIT') { i++; continue; } // propagated trims are exact (=), LIMIT does not apply
      out.push(argv[i]);
    }
    return out.length === argv.length ? undefined : [out];
  },

  XTRIM(argv, t) {
    if (t.has('streamTrimMinid')) return undefined;
    if (up(argv[2]) === 'MINID') t.fail(argv, 'XTRIM … MINID');
    const limit = argv.findIndex((a, i) => i > 2 && up(a) === 'LIMIT');
    return limit > 0 ? [[...argv.slice(0, limit), ...argv.slice(limit + 2)]] : undefined;
  },

  XGROUP(argv, t) {
    if (t.has('streamMetadata')) return undefined;
    const sub = up(argv[1]);
    if (sub === 'CREATECONSUMER' && !t.has('streamTrimMinid')) {
      t.fail(argv, `XGROUP CREATECONSUMER (a consumer with nothing pending, on stream "${argv[2]?.toString()}")`);
    }
    if (sub !== 'CREATE' && sub !== 'SETID') return undefined;
    const at = argv.findIndex((a, i) => i > 3 && up(a) === 'ENTRIESREAD');
    return at > 0 ? [[...argv.slice(0, at), ...argv.slice(at + 2)]] : undefined;
  },

  XSETID(argv, t) {
    if (t.has('streamMetadata')) return undefined;
    return argv.length > 3 ? [argv.slice(0, 3)] : undefined; // ENTRIESADDED / MAXDELETEDID: 7.0's stream metadata
  },

  FUNCTION: needs('functions', 'functions (FUNCTION LOAD)', 'functions need a destination running Redis 7.0+ or Valkey'),
  FCALL: needs('functions', 'functions (FCALL)', 'functions need a destination running Redis 7.0+ or Valkey'),
  FCALL_RO: needs('functions', 'functions (FCALL_RO)', 'functions need a destination running Redis 7.0+ or Valkey'),
  LMPOP: needs('mpop', 'LMPOP'), BLMPOP: needs('mpop', 'BLMPOP'), ZMPOP: needs('mpop', 'ZMPOP'), BZMPOP: needs('mpop', 'BZMPOP'),
  ZRANGESTORE: needs('storeCommands62', 'ZRANGESTORE'), ZDIFFSTORE: needs('storeCommands62', 'ZDIFFSTORE'),
  GEOSEARCHSTORE: needs('storeCommands62', 'GEOSEARCHSTORE'),
  XAUTOCLAIM: needs('streamTrimMinid', 'XAUTOCLAIM'),
  DELIFEQ(argv, t) {
    // Propagated as DEL by Valkey; verbatim (a client's own replay) the condition held on the source.
    return t.has('delifeq') ? undefined : [[b('DEL'), argv[1]]];
  },
  XDELEX: needs('streamDelRef', 'XDELEX'),
  XACKDEL: needs('streamDelRef', 'XACKDEL'),
  // A vector set has no equivalent in other types: a destination without the module cannot hold one.
  VADD: needs('vectorSets', 'a write to a vector set (module "vectorset")', VECTOR_SET_HINT),
  VREM: needs('vectorSets', 'a write to a vector set (module "vectorset")', VECTOR_SET_HINT),
  VSETATTR: needs('vectorSets', 'a write to a vector set (module "vectorset")', VECTOR_SET_HINT),
};

function fieldTtlOnly(argv: Buffer[], t: TranslateContext): Translation | undefined {
  if (t.has('fieldTtl')) return undefined;
  return t.fail(argv, `a hash field expiry on key "${keyOf(argv)}"`,
    'hash-field TTLs need a destination running Redis 7.4+ or Valkey 9.0+; or leave the key out of the task with a key filter');
}

function expireFlags(argv: Buffer[], t: TranslateContext): Translation | undefined {
  if (t.has('expireFlags') || argv.length <= 3) return undefined;
  return [argv.slice(0, 3)]; // NX | XX | GT | LT: true on the source, or nothing would have been propagated
}

function lmove(src: Buffer, dst: Buffer, from: string, to: string): Buffer[] {
  if (from === 'RIGHT' && to === 'LEFT') return [b('RPOPLPUSH'), src, dst];
  return evalOf(LMOVE_SCRIPT, [src, dst], [b(from), b(to)]);
}

function popCount(argv: Buffer[], t: TranslateContext): Translation | undefined {
  if (t.has('popCount') || argv.length < 3) return undefined;
  const n = num(argv[2]);
  const name = up(argv[0]);
  if (!Number.isInteger(n) || n < 0) t.fail(argv, `${name} with a count it cannot read`);
  if (n <= 64) return Array.from({ length: n }, () => [b(name), argv[1]]);
  return [evalOf(POP_COUNT_SCRIPT, [argv[1]], [b(name), b(n)])];
}

function needs(feature: Feature, what: string, hint?: string): Rule {
  return (argv, t) => (t.has(feature) ? undefined : t.fail(argv, what, hint));
}

/** Rewrites stream commands for one destination version. */
export interface CommandTranslator {
  /** Upper-case names that may need translating for this destination (the applier's cheap test). */
  readonly names: ReadonlySet<string>;
  /** The commands to write instead, or undefined to write the command as it is. Throws CommandTranslationError. */
  translate(name: string, argv: Buffer[]): Translation | undefined;
}

/** The features whose absence makes a rule do anything, per command: a destination that has them all needs no translating. */
const RULE_FEATURES: Record<string, Feature[]> = {
  HSETEX: ['hsetex', 'hsetexKeyCondition', 'fieldTtl'], HGETEX: ['hsetex'], HGETDEL: ['hgetdel'], HPERSIST: ['fieldTtl'],
  HEXPIRE: ['fieldTtl'], HPEXPIRE: ['fieldTtl'], HEXPIREAT: ['fieldTtl'], HPEXPIREAT: ['fieldTtl'],
  SET: ['setIfeq', 'setAbsoluteExpiry'], GETEX: ['setAbsoluteExpiry'], GETDEL: ['setAbsoluteExpiry'],
  EXPIRE: ['expireFlags'], PEXPIRE: ['expireFlags'], EXPIREAT: ['expireFlags'], PEXPIREAT: ['expireFlags'],
  LMOVE: ['lmove'], BLMOVE: ['lmove'], LPOP: ['popCount'], RPOP: ['popCount'], COPY: ['copy'], ZADD: ['zaddGtLt'],
  XADD: ['streamTrimMinid'], XTRIM: ['streamTrimMinid'], XGROUP: ['streamMetadata'], XSETID: ['streamMetadata'],
  FUNCTION: ['functions'], FCALL: ['functions'], FCALL_RO: ['functions'], LMPOP: ['mpop'], BLMPOP: ['mpop'],
  ZMPOP: ['mpop'], BZMPOP: ['mpop'], ZRANGESTORE: ['storeCommands62'], ZDIFFSTORE: ['storeCommands62'],
  GEOSEARCHSTORE: ['storeCommands62'], XAUTOCLAIM: ['streamTrimMinid'], DELIFEQ: ['delifeq'], XDELEX: ['streamDelRef'],
  XACKDEL: ['streamDelRef'], VADD: ['vectorSets'], VREM: ['vectorSets'], VSETATTR: ['vectorSets'],
};

export function translatorFor(dest: ServerVersion): CommandTranslator {
  const has = (f: Feature) => hasFeature(dest, f);
  const names = new Set(Object.entries(RULE_FEATURES).filter(([, fs]) => fs.some((f) => !has(f))).map(([n]) => n));
  const ctx: TranslateContext = {
    dest,
    has,
    fail(argv, why, hint) {
      const name = up(argv[0]);
      throw new CommandTranslationError('COMMAND_UNSUPPORTED_BY_DESTINATION',
        `the source sent ${name}${argv[1] ? ` (key "${keyOf(argv)}")` : ''}: ${why}, which the destination (${serverLabel(dest)}) cannot carry; stopping rather than letting it diverge`,
        hint ?? `use a destination that has ${name}, or leave the keys it touches out of the task with a key filter`);
    },
  };
  return {
    names,
    translate(name, argv) {
      const rule = RULES[name];
      return rule ? rule(argv, ctx) : undefined;
    },
  };
}
