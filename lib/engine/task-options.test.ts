/**
 * A stored task as the engine takes it: the CA Certificate of a side reaches the
 * engine's endpoint, and the engine's own connection verifies a real TLS server with it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTlsFiles, tlsServerConfig, type TlsFiles } from '@/engine/precheck/testing/tls';
import { ControlClient, NetError } from '@/engine/net/socket';
import { freePort, RedisServer } from '@/engine/testing/redis-server';
import { syncOptionsFor, type TaskRecord } from './task-options';

let files: TlsFiles;
let server: RedisServer;
let tlsPort: number;

beforeAll(async () => {
  files = makeTlsFiles();
  tlsPort = await freePort();
  server = await RedisServer.start({ config: tlsServerConfig(files, tlsPort) });
});

afterAll(async () => {
  await server?.stop();
  files?.cleanup();
});

function task(target: Record<string, unknown>): TaskRecord {
  return {
    id: 'dtstest', syncTypes: 'full', conflictMode: 'overwrite', instanceClass: 'large', objects: '{}', advanced: '{}',
    source: JSON.stringify({ host: '127.0.0.1', port: 1, authMethod: 'password-free' }),
    target: JSON.stringify({ host: '127.0.0.1', port: tlsPort, authMethod: 'password-free', ...target }),
  };
}

async function ping(options: ReturnType<typeof syncOptionsFor>): Promise<string> {
  const client = new ControlClient(options.target, 'destination', 3_000);
  try {
    await client.open();
    return String(await client.call(['PING']));
  } finally {
    client.close();
  }
}

describe('syncOptionsFor', () => {
  it('gives the engine the CA Certificate, and the engine verifies the destination with it', async () => {
    const options = syncOptionsFor(task({ tls: true, tlsCa: files.pem }));
    expect(options.source?.tls).toBeUndefined();
    expect(options.target.tls).toEqual({ ca: Buffer.from(files.pem), insecure: false });
    expect(await ping(options)).toBe('PONG');
  });

  it('without a CA the engine uses the system trust store and refuses the self-signed destination', async () => {
    const options = syncOptionsFor(task({ tls: true }));
    expect(options.target.tls).toEqual({ ca: undefined, insecure: false });
    const err = await ping(options).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NetError);
    expect((err as NetError).message).toMatch(/TLS with the destination .* failed: self-signed certificate/);
  });

  it('Skip certificate verification reaches the engine as insecure', async () => {
    const options = syncOptionsFor(task({ tls: true, tlsInsecure: true }));
    expect(options.target.tls).toEqual({ ca: undefined, insecure: true });
    expect(await ping(options)).toBe('PONG');
  });
});
