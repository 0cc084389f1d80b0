/**
 * Values stored as one string holding an encoded container (ziplist, listpack, intset, zipmap):
 * the resumable decoder for any size, and the synchronous one the parser's fast path uses
 * when the whole blob is buffered.
 */
import { BlobPump, type BlobFeeder } from '../blob';
import type { Sink } from '../elements';
import { RdbError } from '../errors';
import { IntsetFeeder } from '../intset';
import { ListpackFeeder } from '../listpack';
import { blobReader, STR_INT, STR_LZF } from '../reader';
import { ZiplistFeeder } from '../ziplist';
import { ZipmapFeeder } from '../zipmap';
import { decompress, needBytes, tryHeader, type Core, type KeyState, type Machine, type ValueDecoder } from './decoder';

export type BlobContainer = 'ziplist' | 'listpack' | 'intset' | 'zipmap';

/** A value that is exactly one blob: its container, and the sink that pairs its elements up. */
export interface BlobLayout {
  readonly container: BlobContainer;
  readonly sink: () => Sink<unknown>;
}

/** Blobs up to this size are read whole in big keys (e.g. quicklist nodes); bigger ones are pumped. */
const BLOB_WHOLE_LIMIT = 1 << 20;

function newFeeder(container: BlobContainer, len: number): BlobFeeder {
  switch (container) {
    case 'ziplist':
      return new ZiplistFeeder(len);
    case 'listpack':
      return new ListpackFeeder(len);
    case 'intset':
      return new IntsetFeeder(len);
    case 'zipmap':
      return new ZipmapFeeder(len);
  }
}

/**
 * A string holding an encoded container. Read whole when it is small (or already buffered),
 * otherwise pumped through a BlobPump so neither the compressed nor the decoded blob is held
 * whole. `name` names the blob in errors.
 */
export function* blobValue(p: Core, k: KeyState, container: BlobContainer, sink: Sink<any>, name: string): Machine {
  const r = p.r;
  while (!tryHeader(r)) {
    p.beforeWait(k);
    yield;
  }
  const at = r.base + r.pos;
  if (r.hdrKind === STR_INT) {
    const blob = r.hdrInt;
    newFeeder(container, blob.length).feed(blobReader(blob, name, at), sink);
    p.afterElement(k);
    return;
  }
  const lzf = r.hdrKind === STR_LZF;
  const clen = r.hdrLen;
  const ulen = lzf ? r.hdrULen : clen;
  const lim = k.small && p.threshold > BLOB_WHOLE_LIMIT ? p.threshold : BLOB_WHOLE_LIMIT;
  const whole = (!lzf && r.end - r.pos >= clen) || (ulen <= lim && clen <= lim);
  if (whole) {
    while (r.end - r.pos < clen) {
      needBytes(r, clen);
      yield;
    }
    const blob = lzf ? decompress(r, clen, ulen, name, at) : r.bytes(clen);
    newFeeder(container, blob.length).feed(blobReader(blob, name, at), sink);
    // A small key's decompressed parts must be within the threshold too.
    if (k.small && lzf && ulen > p.threshold) p.goBig(k);
    p.afterElement(k);
    return;
  }
  if (k.small) p.goBig(k);
  const pump = new BlobPump(lzf, clen, ulen, name, at, r.maxString);
  const feeder = newFeeder(container, ulen);
  for (;;) {
    if (feeder.feed(pump.inner, sink)) break;
    p.afterElement(k);
    while (!pump.pull(r)) {
      needBytes(r, 1);
      yield;
    }
  }
  if (pump.remaining !== 0) {
    throw new RdbError('CORRUPT', `the ${name} ends before its blob does`, at);
  }
  p.afterElement(k);
}

/** The resumable decoder of a one-blob value of this layout. */
export function blobDecoder(layout: BlobLayout): ValueDecoder {
  return (p, k) => blobValue(p, k, layout.container, (k.sink = layout.sink()), layout.container);
}

/** Decodes a fully buffered one-blob value into its items; throws RdbError when the blob is damaged. */
export function decodeBlob(layout: BlobLayout, str: Buffer, name: string, blobOffset: number): unknown[] {
  const sink = layout.sink();
  newFeeder(layout.container, str.length).feed(blobReader(str, name, blobOffset), sink);
  sink.finish();
  return sink.items;
}

/**
 * The element count a blob's header declares when it can be trusted without decoding
 * (its byte size matches too), or -1. Zipmaps are always decoded (they are rewritten).
 */
export function blobHeaderCount(container: BlobContainer, str: Buffer): number {
  if (container === 'intset') return str.length >= 8 && str.length === 8 + str.readUInt32LE(0) * str.readUInt32LE(4) ? str.readUInt32LE(4) : -1;
  if (container === 'zipmap' || str.length < 11) return -1;
  if (container === 'ziplist') return str.readUInt32LE(0) === str.length && str.readUInt16LE(8) !== 0xffff ? str.readUInt16LE(8) : -1;
  return str.readUInt32LE(0) === str.length && str.readUInt16LE(4) !== 0xffff ? str.readUInt16LE(4) : -1; // listpack
}
