/**
 * A one-shot raw RESP exchange: send a few commands, read the first line of
 * each reply, close at once. Used where a client library would misread the
 * answer, e.g. a PSYNC that a server might answer by starting a transfer.
 */
import { openSocket } from '../net/socket';
import { encodeCommands } from '../resp';
import type { RedisEndpoint } from './types';

/** Reply lines (`+…`, `-…`, `:…`), one per command, in order; bare keepalive newlines are skipped. */
export async function rawExchange(ep: RedisEndpoint, commands: string[][], timeoutMs: number): Promise<string[]> {
  const started = Date.now();
  const socket = await openSocket(ep, { timeoutMs });
  return new Promise((resolve, reject) => {
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
    const timer = setTimeout(() => finish(Object.assign(new Error('timed out waiting for a reply'), { code: 'ETIMEDOUT' })),
      Math.max(1, timeoutMs - (Date.now() - started)));
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
    socket.write(encodeCommands(commands));
  });
}
