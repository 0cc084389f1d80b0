/** RDB type 0, STRING: one string, read whole within the big-key threshold, else streamed in pieces. */
import { RdbError } from '../errors';
import { LzfError, LzfStream } from '../lzf';
import { STR_INT, STR_LZF } from '../reader';
import { decompress, needBytes, tryHeader, type Core, type KeyState, type Machine } from './decoder';

export function* stringValue(p: Core, k: KeyState): Machine {
  const r = p.r;
  while (!tryHeader(r)) {
    p.beforeWait(k);
    yield;
  }
  if (r.hdrKind === STR_INT) {
    k.value = r.hdrInt;
    return;
  }
  const at = r.base + r.pos;
  const lzf = r.hdrKind === STR_LZF;
  const clen = r.hdrLen;
  const ulen = lzf ? r.hdrULen : clen;
  if (k.small && ulen <= p.threshold && r.base + r.pos + clen - k.valueStart <= p.threshold) {
    while (r.end - r.pos < clen) {
      needBytes(r, clen);
      yield;
    }
    k.value = lzf ? decompress(r, clen, ulen, 'string', at) : r.bytes(clen);
    return;
  }
  if (k.small) p.goBig(k);
  let remaining = clen;
  const dec = lzf ? new LzfStream(ulen, Math.min(64 * 1024, p.batchMaxBytes)) : null;
  while (remaining > 0) {
    const avail = r.end - r.pos;
    if (avail === 0) {
      needBytes(r, 1);
      yield;
      continue;
    }
    if (dec) {
      const take = avail < remaining ? avail : remaining;
      let outs: Buffer[];
      try {
        outs = dec.push(r.buf.subarray(r.pos, r.pos + take));
      } catch (e) {
        if (e instanceof LzfError) throw new RdbError('CORRUPT', `invalid LZF-compressed string: ${e.message}`, at);
        throw e;
      }
      r.pos += take;
      remaining -= take;
      for (const o of outs) p.emitBatch(k, [o]);
    } else {
      const take = Math.min(avail, remaining, p.batchMaxBytes);
      const piece = r.buf.subarray(r.pos, r.pos + take);
      r.pos += take;
      remaining -= take;
      p.emitBatch(k, [piece]);
    }
  }
  if (dec) {
    try {
      dec.finish();
    } catch (e) {
      if (e instanceof LzfError) throw new RdbError('CORRUPT', `invalid LZF-compressed string: ${e.message}`, at);
      throw e;
    }
  }
}
