/**
 * A TCP server that accepts connections and never writes a byte: a peer that "does not answer".
 * It keeps what it was sent (`received()`), so a test can see whether a secret reached it; with
 * `reply`, it answers every chunk with those bytes instead (e.g. a RESP error, so a client gives up).
 */
import net from 'node:net';

export interface SilentServer {
  port: number;
  /** Everything any connection sent, as latin1 text. */
  received(): string;
  close(): Promise<void>;
}

export async function startSilentServer(opts: { reply?: string } = {}): Promise<SilentServer> {
  const sockets = new Set<net.Socket>();
  const chunks: Buffer[] = [];
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d: Buffer) => {
      chunks.push(d);
      if (opts.reply !== undefined) s.write(opts.reply);
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => Buffer.concat(chunks).toString('latin1'),
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}
