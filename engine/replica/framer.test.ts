import { describe, expect, it } from 'vitest';
import { RespError } from '../resp/values';
import { GetackWatch, ReplicationFramer } from './framer';

const b = (s: string) => Buffer.from(s, 'latin1');
const REPLID = '8de9bf3fcd1e0b5ab0a6f0a7d64b1d3aa2e1f0a1';
const MARK = 'a1b2c3d4e5f6a7b8c9d0a1b2c3d4e5f6a7b8c9d0';

interface Record {
  lines: string[];
  events: string[];
  rdb: Buffer;
  stream: Buffer;
}

/**
 * Drives a framer as the link does: three handshake replies, then the PSYNC status. With `through`,
 * each part is pushed as a view of that one buffer, overwritten after the push (as the relay reads).
 */
function frame(parts: Buffer[], replies = 3, through?: Buffer): Record {
  const lines: string[] = [];
  const events: string[] = [];
  const rdb: Buffer[] = [];
  const stream: Buffer[] = [];
  const framer: ReplicationFramer = new ReplicationFramer({
    line: (l) => {
      lines.push(l);
      if (lines.length === replies) framer.expectPsyncReply();
    },
    rdbStart: (f) => events.push(f.kind === 'disk' ? `start:disk:${f.size}` : `start:diskless:${f.mark}`),
    rdbData: (c) => rdb.push(Buffer.from(c)),
    rdbEnd: () => events.push('end'),
    rdbError: (l) => events.push(`error:${l}`),
    stream: (c) => stream.push(Buffer.from(c)),
  });
  for (const p of parts) {
    if (!through) {
      framer.push(p);
      continue;
    }
    framer.push(through.subarray(0, p.copy(through)));
    through.fill(0x24); // '$': the next read
  }
  return { lines, events, rdb: Buffer.concat(rdb), stream: Buffer.concat(stream) };
}

/** RDB-like bytes that contain CRLF, '$', '\n' and the start of the mark, to trip naive framing. */
const RDB = Buffer.concat([b('REDIS0010\xfa\x09redis-ver\x067.0.15\r\n$5\r\n\n\n'), b(MARK.slice(0, 39)), Buffer.alloc(300, 0xab), b('\xff12345678')]);
const STREAM = b('*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');
const HANDSHAKE = b('+PONG\r\n+OK\r\n+OK\r\n');

describe('ReplicationFramer: disk RDB', () => {
  const wire = Buffer.concat([HANDSHAKE, b(`\n\n+FULLRESYNC ${REPLID} 1234\r\n\n\n\n$${RDB.length}\r\n`), RDB, STREAM]);
  const expected = {
    lines: ['+PONG', '+OK', '+OK', `+FULLRESYNC ${REPLID} 1234`],
    events: [`start:disk:${RDB.length}`, 'end'],
    rdb: RDB,
    stream: STREAM,
  };

  it('separates replies, status, RDB (no CRLF after it) and stream, skipping keepalives', () => {
    expect(frame([wire])).toEqual(expected);
  });

  it('gives the same result split at every byte position', () => {
    for (let i = 1; i < wire.length; i++) {
      expect(frame([wire.subarray(0, i), wire.subarray(i)]), `split at ${i}`).toEqual(expected);
    }
  });

  it('gives the same result byte by byte', () => {
    const parts: Buffer[] = [];
    for (let i = 0; i < wire.length; i++) parts.push(wire.subarray(i, i + 1));
    expect(frame(parts)).toEqual(expected);
  });
});

describe('ReplicationFramer: diskless RDB ($EOF:<mark>)', () => {
  // Nothing follows the mark until the replica ACKs, so the stream is a separate read.
  const head = Buffer.concat([HANDSHAKE, b(`\n+FULLRESYNC ${REPLID} 99\r\n\n\n$EOF:${MARK}\r\n`), RDB, b(MARK)]);
  const expected = {
    lines: ['+PONG', '+OK', '+OK', `+FULLRESYNC ${REPLID} 99`],
    events: [`start:diskless:${MARK}`, 'end'],
    rdb: RDB,
    stream: STREAM,
  };

  it('finds the end mark wherever the reads split it, and never delivers it as RDB', () => {
    for (let i = 1; i < head.length; i++) {
      expect(frame([head.subarray(0, i), head.subarray(i), STREAM]), `split at ${i}`).toEqual(expected);
    }
    for (let i = head.length - 60; i < head.length; i++) {
      for (let j = i + 1; j < head.length; j++) {
        expect(frame([head.subarray(0, i), head.subarray(i, j), head.subarray(j), STREAM]), `split at ${i},${j}`).toEqual(expected);
      }
    }
    const bytes: Buffer[] = [];
    for (let i = 0; i < head.length; i++) bytes.push(head.subarray(i, i + 1));
    expect(frame([...bytes, STREAM])).toEqual(expected);
  });

  it('does not end the RDB while the last 40 bytes are not the mark', () => {
    const r = frame([head.subarray(0, head.length - 1)]);
    expect(r.events).toEqual([`start:diskless:${MARK}`]);
    expect(r.rdb.length).toBe(RDB.length - 1); // the last 40 bytes are held back
  });
});

describe('ReplicationFramer: other replies', () => {
  it('switches to the stream at once on +CONTINUE', () => {
    const r = frame([Buffer.concat([HANDSHAKE, b(`+CONTINUE ${REPLID}\r\n`), STREAM])]);
    expect(r.lines.at(-1)).toBe(`+CONTINUE ${REPLID}`);
    expect(r.events).toEqual([]);
    expect(r.stream.equals(STREAM)).toBe(true);
  });

  it('reports an error line where the RDB header was expected', () => {
    const r = frame([Buffer.concat([HANDSHAKE, b(`+FULLRESYNC ${REPLID} 0\r\n\n-ERR BGSAVE failed, replication can't continue\r\n`)])]);
    expect(r.events).toEqual(["error:ERR BGSAVE failed, replication can't continue"]);
  });

  it('stops after an error status and waits for the caller to choose (SYNC fallback)', () => {
    const lines: string[] = [];
    const rdb: Buffer[] = [];
    let framer!: ReplicationFramer;
    framer = new ReplicationFramer({
      line: (l) => {
        lines.push(l);
        if (l.startsWith('-ERR')) setTimeout(() => framer.expectRdb(), 0);
      },
      rdbStart: () => {},
      rdbData: (c) => rdb.push(c),
      rdbEnd: () => lines.push('end'),
      rdbError: () => {},
      stream: () => {},
    });
    framer.expectPsyncReply();
    framer.push(b("-ERR unknown command 'PSYNC'\r\n\n$3\r\nabc"));
    expect(framer.currentMode).toBe('idle');
    return new Promise<void>((resolve) => setTimeout(() => {
      expect(lines).toEqual(["-ERR unknown command 'PSYNC'", 'end']);
      expect(Buffer.concat(rdb).toString()).toBe('abc');
      resolve();
    }, 20));
  });

  it('rejects a malformed RDB header or mark', () => {
    expect(() => frame([Buffer.concat([HANDSHAKE, b(`+FULLRESYNC ${REPLID} 0\r\n$12x\r\n`)])])).toThrow(RespError);
    expect(() => frame([Buffer.concat([HANDSHAKE, b(`+FULLRESYNC ${REPLID} 0\r\n$EOF:short\r\n`)])])).toThrow(/end mark of 5 bytes/);
    expect(() => frame([Buffer.concat([HANDSHAKE, b(`+FULLRESYNC ${REPLID} 0\r\nHTTP/1.1 400\r\n`)])])).toThrow(/expected the RDB header/);
    expect(() => frame([Buffer.alloc(70_000, 0x41)])).toThrow(/no line end/);
  });
});

describe('GetackWatch', () => {
  const GETACK = b('*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n');
  const SET = b('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n');

  /** Byte counts at which the watch asks for an ACK. */
  function acksAt(parts: Buffer[]): number[] {
    const w = new GetackWatch();
    const at: number[] = [];
    let n = 0;
    for (const p of parts) {
      n += p.length;
      if (w.push(p)) at.push(n);
    }
    return at;
  }

  it('asks for an ACK once the whole GETACK has arrived, wherever the reads split it', () => {
    const wire = Buffer.concat([SET, GETACK, SET]);
    const end = SET.length + GETACK.length;
    expect(acksAt([wire])).toEqual([wire.length]);
    for (let i = 1; i < wire.length; i++) {
      expect(acksAt([wire.subarray(0, i), wire.subarray(i)]), `split at ${i}`).toEqual([i >= end ? i : wire.length]);
    }
    const bytes: Buffer[] = [];
    for (let i = 0; i < wire.length; i++) bytes.push(wire.subarray(i, i + 1));
    expect(acksAt(bytes)).toEqual([end]);
  });

  it('asks once per read that completes GETACKs, and not for other commands', () => {
    expect(acksAt([Buffer.concat([GETACK, SET, GETACK]), SET])).toEqual([GETACK.length * 2 + SET.length]);
    expect(acksAt([SET, SET, b('*1\r\n$4\r\nPING\r\n')])).toEqual([]);
  });
});

describe('what the framer keeps between pushes', () => {
  it('is its own copy: parts pushed as views of one buffer, overwritten after each push, frame the same', () => {
    // The snapshot's end mark ends a read (a master sends nothing after it until the stream).
    const snapshot = Buffer.concat([HANDSHAKE, b(`+FULLRESYNC ${REPLID} 100\r\n`), b(`$EOF:${MARK}\r\n`), RDB, b(MARK)]);
    const expected = frame([snapshot, STREAM]);
    expect(expected.events).toEqual([`start:diskless:${MARK}`, 'end']);
    const split = (bytes: Buffer, size: number) => Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
    for (const size of [1, 3, 7, 39, 41, 64]) {
      const parts = [...split(snapshot, size), ...split(STREAM, size)];
      expect(frame(parts, 3, Buffer.alloc(size)), `parts of ${size} bytes`).toEqual(expected);
    }
  });
});
