/**
 * Modules: RDB type 7 (MODULE_2: module id, then tagged values; REFERENCE §2.11), walked without
 * being interpreted (the raw bytes are what travels), and type 6 (pre-GA), which cannot be
 * parsed without the module. The tagged-value walk is shared with the MODULE_AUX record.
 */
import { RdbError } from '../errors';
import { STR_INT, type Reader } from '../reader';
import type { ModuleValue } from '../types';
import { needBytes, tryHeader, tryLen, tryUnit, type Core, type KeyState, type Machine } from './decoder';

const MODULE_CHARSET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Decode a 64-bit module type id: nine 6-bit characters then a 10-bit encoding version. */
export function moduleInfo(id: bigint): ModuleValue {
  let name = '';
  for (let j = 0; j < 9; j++) name += MODULE_CHARSET[Number((id >> BigInt(64 - 6 * (j + 1))) & 63n)];
  return { moduleId: id, name, encVersion: Number(id & 1023n) };
}

function unitLenBig(r: Reader, s: { v: bigint }): void {
  s.v = r.readLenBig();
}

function unitSkip4(r: Reader): void {
  r.skip(4);
}

function unitSkip8(r: Reader): void {
  r.skip(8);
}

/**
 * Walk MODULE_2 tagged values (len opcode + value; 1 SINT / 2 UINT len, 3 float, 4 double,
 * 5 string; 0 ends) without interpreting them. Shared with MODULE_AUX (`k` null).
 */
export function* moduleTaggedValues(p: Core, k: KeyState | null): Machine {
  const r = p.r;
  const big = { v: 0n };
  for (;;) {
    const at = r.base + r.pos;
    let op: number;
    while ((op = tryLen(r)) < 0) {
      if (k) p.beforeWait(k);
      yield;
    }
    if (op === 0) return;
    switch (op) {
      case 1:
      case 2:
        while (!tryUnit(r, unitLenBig, big)) {
          if (k) p.beforeWait(k);
          yield;
        }
        break;
      case 3:
        while (!tryUnit(r, unitSkip4, null)) yield;
        break;
      case 4:
        while (!tryUnit(r, unitSkip8, null)) yield;
        break;
      case 5: {
        while (!tryHeader(r)) {
          if (k) p.beforeWait(k);
          yield;
        }
        if (r.hdrKind === STR_INT) break;
        let remaining = r.hdrLen;
        while (remaining > 0) {
          const avail = r.end - r.pos;
          if (avail === 0) {
            needBytes(r, 1);
            if (k && k.small && r.base + r.pos + remaining - k.valueStart > p.threshold) p.goBig(k);
            yield;
            continue;
          }
          const take = avail < remaining ? avail : remaining;
          r.pos += take;
          remaining -= take;
        }
        break;
      }
      default:
        throw new RdbError('CORRUPT', `unknown module value opcode ${op}`, at);
    }
    if (k) p.afterElement(k);
  }
}

function* moduleId(p: Core, k: KeyState): Generator<void, ModuleValue, void> {
  const s = { v: 0n };
  while (!tryUnit(p.r, unitLenBig, s)) {
    p.beforeWait(k);
    yield;
  }
  k.module = moduleInfo(s.v);
  return k.module;
}

export function* moduleValue(p: Core, k: KeyState): Machine {
  k.value = yield* moduleId(p, k);
  yield* moduleTaggedValues(p, k);
}

/** Type 6 names its module, then fails: its layout is the module's own. */
export function* modulePreGa(p: Core, k: KeyState): Machine {
  const m = yield* moduleId(p, k);
  throw new RdbError(
    'UNKNOWN_MODULE',
    `module value of type "${m.name}" (encoding version ${m.encVersion}) uses the pre-GA module format (RDB type 6), which cannot be parsed without the module`,
    k.offset,
  );
}
