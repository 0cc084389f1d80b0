/**
 * A one-shot raw RESP exchange: send a few commands, read the first line of
 * each reply, close at once. Used where a client library would misread the
 * answer, e.g. a PSYNC that a server might answer by starting a transfer.
 */
import net from 'node:net';
import tls from 'node:tls';
import { tlsConnectOptions } from '../net/socket';
import { encodeCommands } from '../resp';
import type { RedisEndpoint } from './types';

/** Reply lines (`+…`, `-…`, `:…`), one per command, in order; bare keepalive newlines are skipped. */
export function rawExchange(ep: RedisEndpoint, commands: string[][], timeoutMs: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const secure = tlsConnectOptions(ep);
    const socket = secure ? tls.connect({ host: ep.host, port: ep.port, ...secure }) : net.connect({ host: ep.host, port: ep.port });
    const lines: string[] = [];
    let buffer = '';
    let done = false;
    const finish = (err?: Error) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      if (err) reject(err);
      else resolve(lines);
    };
    const timer = setTimeout(() => finish(Object.assign(new Error('timed out waiting for a reply'), { code: 'ETIMEDOUT' })), timeoutMs);
    socket.once(ep.tls ? 'secureConnect' : 'connect', () => socket.write(encodeCommands(commands)));
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl).replace(/\r$/, '');
        buffer = buffer.slice(nl + 1);
        if (line === '') continue;
        lines.push(line);
        if (lines.length >= commands.length) return finish();
      }
    });
    socket.once('error', (err) => finish(err));
    socket.once('close', () => finish(lines.length ? undefined : Object.assign(new Error('Connection is closed.'), { code: 'ECONNRESET' })));
  });
}
