/**
 * A stored task as the engine takes it: the CA Certificate and the client certificate
 * (its key decrypted in memory) of a side reach the engine's endpoint, and the engine's
 * own connection verifies a real TLS server with them.
 */
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClientCertificate, makeTlsFiles, tlsServerConfig, type ClientCertificate, type TlsFiles } from '@/engine/testing/tls-certificates';
import { ControlClient, NetError } from '@/engine/net/socket';
import { freePort, RedisServer } from '@/engine/testing/redis-server';
import { encryptSecret } from '@/lib/secrets';
import { syncOptionsFor, type TaskRecord } from './task-options';

process.env.DTS_SECRET_KEY = crypto.randomBytes(32).toString('base64');

let files: TlsFiles;
let client: ClientCertificate;
let server: RedisServer;
let mtlsServer: RedisServer;
let tlsPort: number;
let mtlsPort: number;

beforeAll(async () => {
  files = makeTlsFiles();
  client = makeClientCertificate(files);
  [tlsPort, mtlsPort] = [await freePort(), await freePort()];
  [server, mtlsServer] = await Promise.all([
    RedisServer.start({ config: tlsServerConfig(files, tlsPort) }),
    RedisServer.start({ config: { ...tlsServerConfig(files, mtlsPort, { authClients: true }), requirepass: 'pw' } }),
  ]);
});

afterAll(async () => {
  await Promise.all([server?.stop(), mtlsServer?.stop()]);
  files?.cleanup();
});

function task(target: Record<string, unknown>, port = tlsPort): TaskRecord {
  return {
    id: 'dtstest', syncTypes: 'full', conflictMode: 'overwrite', instanceClass: 'large', objects: '{}', advanced: '{}',
    source: JSON.stringify({ host: '127.0.0.1', port: 1, authMethod: 'password-free' }),
    target: JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free', ...target }),
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
  it('gives the engine the Read Method: replication by default, scan when chosen', () => {
    expect(syncOptionsFor(task({})).read).toBe('replication');
    expect(syncOptionsFor({ ...task({}), advanced: JSON.stringify({ readMethod: 'scan' }) }).read).toBe('scan');
  });

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
    expect((err as NetError).message).toMatch(/^the TLS certificate of the destination .* is not trusted \(self-signed certificate\)$/);
    // A console task's words: its fields, never the CLI's flags.
    expect((err as NetError).hint).toMatch(/^paste its CA certificate in CA Certificate/);
  });

  it('Skip certificate verification reaches the engine as insecure', async () => {
    const options = syncOptionsFor(task({ tls: true, tlsInsecure: true }));
    expect(options.target.tls).toEqual({ ca: undefined, insecure: true });
    expect(await ping(options)).toBe('PONG');
  });

  it('gives the engine the client certificate with its key decrypted, and a tls-auth-clients destination accepts it', async () => {
    const options = syncOptionsFor(task({ tls: true, tlsCa: files.pem, tlsCert: client.cert, tlsKeyEnc: encryptSecret(client.key) }, mtlsPort));
    expect(options.target.tls).toEqual({ ca: Buffer.from(files.pem), cert: Buffer.from(client.cert), key: Buffer.from(client.key), insecure: false });
    expect(await ping({ ...options, target: { ...options.target, password: 'pw' } })).toBe('PONG');
    // Without a password to send first, the TLS handshake (the client certificate) still passes: the first command meets NOAUTH.
    const noPassword = await ping({ ...options, target: { ...options.target, password: undefined } }).catch((e: unknown) => e);
    expect(noPassword).toBeInstanceOf(NetError);
    expect((noPassword as NetError).message).toBe(`the destination 127.0.0.1:${mtlsPort} requires a password and none was given`);
  });

  it('the engine says when a destination requires a client certificate, before and after logging in', async () => {
    const options = syncOptionsFor(task({ tls: true, tlsCa: files.pem }, mtlsPort));
    for (const password of ['pw', undefined]) {
      const err = await ping({ ...options, target: { ...options.target, password } }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NetError);
      expect((err as NetError).message).toBe(`the destination 127.0.0.1:${mtlsPort} requires a client certificate (tls-auth-clients)`);
      expect((err as NetError).hint).toMatch(/^add Client Certificate and Client Private Key/);
      expect((err as NetError).transient).toBe(false);
    }
    // A first call made after the refusal already closed the connection says so as well.
    const late = new ControlClient(options.target, 'destination', 3_000);
    try {
      await late.open();
      await new Promise((r) => setTimeout(r, 200));
      const err = await late.call(['PING']).catch((e: unknown) => e);
      expect((err as NetError).message).toBe(`the destination 127.0.0.1:${mtlsPort} requires a client certificate (tls-auth-clients)`);
    } finally {
      late.close();
    }
  });
});

const conflictEndpoint = JSON.stringify({ host: '127.0.0.1', port: 7000, authMethod: 'password-free' });
const conflictBase: TaskRecord = {
  id: 'dtsconflict', syncTypes: 'full+incremental', conflictMode: 'block', instanceClass: 'large',
  source: conflictEndpoint, target: conflictEndpoint, objects: '{}', advanced: '{}',
};
const precheck = (ignored: boolean) => JSON.stringify({
  runId: 'r', startedAt: '2026-11-25T00:00:00.000Z', finishedAt: '2026-11-25T00:00:01.000Z',
  items: [{ id: 'target-existence', name: 'Destination Object Data Existence Check', status: 'failed', reason: 'DB 0 holds keys', details: [], ignorable: true, ignored }],
});

describe('the conflict mode the engine gets', () => {
  it('blocks on existing keys unless the user ignored the existence check, which means overwrite', () => {
    expect(syncOptionsFor(conflictBase).conflict).toBe('block');
    expect(syncOptionsFor({ ...conflictBase, precheck: precheck(false) }).conflict).toBe('block');
    expect(syncOptionsFor({ ...conflictBase, precheck: precheck(true) }).conflict).toBe('overwrite');
    expect(syncOptionsFor({ ...conflictBase, conflictMode: 'ignore' }).conflict).toBe('overwrite');
  });
});
