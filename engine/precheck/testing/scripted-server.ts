/**
 * A tiny RESP server answering from a script, for what a real local
 * redis-server cannot be made to say (e.g. another version than the one installed).
 */
import net from 'node:net';

export type Reply = string | number | null | Error | Reply[] | { bulk: string };

export type Script = (argv: string[]) => Reply | undefined;

function encode(r: Reply): string {
  if (r === null) return '$-1\r\n';
  if (r instanceof Error) return `-${r.message}\r\n`;
  if (typeof r === 'number') return `:${r}\r\n`;
  if (typeof r === 'string') return `+${r}\r\n`;
  if (Array.isArray(r)) return `*${r.length}\r\n${r.map(encode).join('')}`;
  return `$${Buffer.byteLength(r.bulk)}\r\n${r.bulk}\r\n`;
}

/** Parses complete RESP arrays of bulk strings from the front of buf; returns them and the rest. */
function parseCommands(buf: string): { commands: string[][]; rest: string } {
  const commands: string[][] = [];
  let pos = 0;
  outer: while (pos < buf.length) {
    if (buf[pos] !== '*') {
      const nl = buf.indexOf('\r\n', pos);
      if (nl < 0) break;
      commands.push(buf.slice(pos, nl).trim().split(/\s+/));
      pos = nl + 2;
      continue;
    }
    let p = pos;
    const nl = buf.indexOf('\r\n', p);
    if (nl < 0) break;
    const n = Number(buf.slice(p + 1, nl));
    p = nl + 2;
    const argv: string[] = [];
    for (let i = 0; i < n; i++) {
      const l = buf.indexOf('\r\n', p);
      if (l < 0) break outer;
      const len = Number(buf.slice(p + 1, l));
      if (buf.length < l + 2 + len + 2) break outer;
      argv.push(buf.slice(l + 2, l + 2 + len));
      p = l + 2 + len + 2;
    }
    commands.push(argv);
    pos = p;
  }
  return { commands, rest: buf.slice(pos) };
}

export interface ScriptedServer {
  port: number;
  stop(): Promise<void>;
}

/** Answers PING/CLIENT/SELECT itself; everything else from the script (unknown → error). */
export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = '';
    socket.on('data', (chunk) => {
      const parsed = parseCommands(buf + chunk.toString('latin1'));
      buf = parsed.rest;
      for (const argv of parsed.commands) {
        const name = (argv[0] ?? '').toUpperCase();
        let reply = script(argv);
        if (reply === undefined) {
          if (name === 'PING') reply = 'PONG';
          else if (name === 'CLIENT' || name === 'SELECT') reply = 'OK';
          else reply = new Error(`ERR unknown command '${argv[0]}'`);
        }
        socket.write(encode(reply));
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    stop: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

/** INFO text for a server claiming the given fields. */
export function infoText(fields: Record<string, string | number>): { bulk: string } {
  return { bulk: `# Server\r\n${Object.entries(fields).map(([k, v]) => `${k}:${v}`).join('\r\n')}\r\n` };
}
