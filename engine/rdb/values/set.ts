/** Sets: RDB types 2 (SET: len n, n strings), 11 (SET_INTSET) and 20 (SET_LISTPACK). */
import { BufferSink } from '../elements';
import type { BlobLayout } from './blob-value';
import { stringElements, type Core, type KeyState, type Machine } from './decoder';

export function hashtableSet(p: Core, k: KeyState): Machine {
  return stringElements(p, k, (k.sink = new BufferSink()) as BufferSink);
}

export const SET_INTSET: BlobLayout = { container: 'intset', sink: () => new BufferSink() };
export const SET_LISTPACK: BlobLayout = { container: 'listpack', sink: () => new BufferSink() };
