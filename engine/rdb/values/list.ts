/**
 * Lists: RDB types 1 (LIST: len n, n strings), 10 (LIST_ZIPLIST: one ziplist), 14 (LIST_QUICKLIST:
 * ziplist nodes) and 18 (LIST_QUICKLIST_2: listpack or plain nodes).
 */
import { BufferSink } from '../elements';
import { RdbError } from '../errors';
import { blobValue, type BlobLayout } from './blob-value';
import { stringElements, tryLen, tryString, type Core, type KeyState, type Machine } from './decoder';

export function linkedList(p: Core, k: KeyState): Machine {
  return stringElements(p, k, (k.sink = new BufferSink()) as BufferSink);
}

export const LIST_ZIPLIST: BlobLayout = { container: 'ziplist', sink: () => new BufferSink() };

export function quicklist(p: Core, k: KeyState): Machine {
  return quicklistNodes(p, k, false);
}

export function quicklist2(p: Core, k: KeyState): Machine {
  return quicklistNodes(p, k, true);
}

/** len nodes; v1: each a ziplist; v2: each len container (1 = PLAIN: one element, 2 = PACKED: a listpack) + string. */
function* quicklistNodes(p: Core, k: KeyState, v2: boolean): Machine {
  const r = p.r;
  const sink = new BufferSink();
  k.sink = sink;
  let n: number;
  while ((n = tryLen(r)) < 0) {
    p.beforeWait(k);
    yield;
  }
  for (let i = 0; i < n; i++) {
    if (!v2) {
      yield* blobValue(p, k, 'ziplist', sink, 'quicklist ziplist node');
      continue;
    }
    let container: number;
    while ((container = tryLen(r)) < 0) {
      p.beforeWait(k);
      yield;
    }
    if (container === 1) {
      // PLAIN node: the string is one element.
      let el: Buffer | null;
      while ((el = tryString(r)) === null) {
        p.beforeWait(k);
        yield;
      }
      sink.push(el);
      p.afterElement(k);
    } else if (container === 2) {
      yield* blobValue(p, k, 'listpack', sink, 'quicklist listpack node');
    } else {
      throw new RdbError('CORRUPT', `unknown quicklist node container ${container}`, r.base + r.pos);
    }
  }
}
