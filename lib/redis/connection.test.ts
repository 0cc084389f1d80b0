import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisCluster, RedisServer } from '@/engine/testing/redis-server';
import { makeClientCertificate, makeTlsFiles, tlsServerConfig, type TlsFiles } from '@/engine/testing/tls-certificates';
import { testConnection, type ConnectionOutcome, type ServerSummary } from './connection';

let plain: RedisServer;
let tlsServer: RedisServer;
let tlsPort: number;
let tlsFiles: TlsFiles;
let silent: net.Server;
let silentPort: number;

beforeAll(async () => {
  plain = await RedisServer.start({ password: 'sekret' });
  const c = plain.client();
  await c.call('ACL', 'SETUSER', 'admin', 'on', '>Rp829dlwa', '~*', '&*', '+@all');
  await c.call('ACL', 'SETUSER', 'pinger', 'on', '>pw', '-@all');
  await c.select(0); await c.set('a', '1'); await c.set('b', '2');
  await c.select(3); await c.set('c', '3', 'EX', 100);
  c.disconnect();

  tlsFiles = makeTlsFiles();
  tlsPort = await freePort();
  tlsServer = await RedisServer.start({ config: tlsServerConfig(tlsFiles, tlsPort) });

  silent = net.createServer(() => { /* accept and never answer */ });
  silentPort = await freePort();
  await new Promise<void>((r) => silent.listen(silentPort, '127.0.0.1', r));
});

afterAll(async () => {
  await plain?.stop();
  await tlsServer?.stop();
  tlsFiles?.cleanup();
  silent?.close();
});

const base = { host: '127.0.0.1', mode: 'standalone' as const };

function failure(o: ConnectionOutcome) {
  if (o.ok) throw new Error(`expected a failure, got ${JSON.stringify(o)}`);
  return o;
}

function success(o: ConnectionOutcome): ServerSummary {
  if (!o.ok) throw new Error(`expected success, got ${o.kind}: ${o.message}`);
  return o;
}

describe('testConnection', () => {
  it('reports version, mode, DB count and per-DB key counts', async () => {
    const o = success(await testConnection({ ...base, port: plain.port, password: 'sekret' }));
    expect(o.version).toMatch(/^\d+\.\d+/);
    expect(o.flavor).toBe('Redis');
    expect(o.mode).toBe('standalone');
    expect(o.databases).toBe(16);
    expect(o.keyspace).toEqual([{ db: 0, keys: 2, expires: 0 }, { db: 3, keys: 1, expires: 1 }]);
    expect(o.notes).toEqual([]);
  });

  it('accepts an ACL account as <user>:<password>', async () => {
    success(await testConnection({ ...base, port: plain.port, password: 'admin:Rp829dlwa' }));
  });

  it('says the password is wrong, for the default user and for an ACL user', async () => {
    const o = failure(await testConnection({ ...base, port: plain.port, password: 'nope' }));
    expect(o.kind).toBe('auth');
    expect(o.message).toMatch(/Wrong password for the default user/);
    const acl = failure(await testConnection({ ...base, port: plain.port, password: 'admin:wrong' }));
    expect(acl.kind).toBe('auth');
    expect(acl.message).toMatch(/user "admin"/);
    expect(acl.hint).toMatch(/<user>:<password>/);
  });

  it('says a password is required when none was given', async () => {
    const o = failure(await testConnection({ ...base, port: plain.port }));
    expect(o.kind).toBe('auth');
    expect(o.message).toMatch(/requires a password/);
  });

  it('says when an ACL user may not even PING', async () => {
    const o = failure(await testConnection({ ...base, port: plain.port, password: 'pinger:pw' }));
    expect(o.kind).toBe('auth');
    expect(o.message).toMatch(/not allowed/);
  });

  it('says the connection was refused when nothing listens', async () => {
    const port = await freePort();
    const o = failure(await testConnection({ ...base, port }));
    expect(o.kind).toBe('refused');
    expect(o.message).toContain(`Connection refused by 127.0.0.1:${port}`);
  });

  it('times out on a port that accepts but never answers', async () => {
    const started = Date.now();
    const o = failure(await testConnection({ ...base, port: silentPort, timeoutMs: 800 }));
    expect(o.kind).toBe('timeout');
    expect(o.message).toMatch(/no Redis reply came/);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('tells SSL from non-encrypted in both directions', async () => {
    success(await testConnection({ ...base, port: tlsPort, tls: { ca: Buffer.from(tlsFiles.pem) } }));
    const sslToPlain = failure(await testConnection({ ...base, port: tlsServer.port, tls: {}, timeoutMs: 2000 }));
    expect(sslToPlain.kind).toBe('tls');
    expect(sslToPlain.hint).toMatch(/Non-encrypted/);
    const plainToSsl = failure(await testConnection({ ...base, port: tlsPort, timeoutMs: 2000 }));
    expect(plainToSsl.kind).toBe('tls');
    expect(plainToSsl.hint).toMatch(/Encryption to SSL/);
  });

  it('sums DB 0 over the masters of a cluster and notes a mode mismatch', async () => {
    const cluster = await RedisCluster.start(3);
    try {
      const c = cluster.client();
      for (let i = 0; i < 30; i++) await c.set(`k${i}`, String(i));
      c.disconnect();
      const o = success(await testConnection({ ...base, port: cluster.nodes[0].port, mode: 'cluster' }));
      expect(o.mode).toBe('cluster');
      expect(o.shards).toBe(3);
      expect(o.databases).toBe(1);
      expect(o.keyspace).toEqual([{ db: 0, keys: 30, expires: 0 }]);
      const wrongMode = success(await testConnection({ ...base, port: cluster.nodes[0].port }));
      expect(wrongMode.notes[0]).toMatch(/cluster mode but Instance Mode is Standalone/);
    } finally {
      await cluster.stop();
    }
  });
});

describe('testConnection verifies the TLS certificate as the task will', () => {
  it('a self-signed certificate without its CA is a certificate failure that says what to paste', async () => {
    const o = failure(await testConnection({ ...base, port: tlsPort, tls: {}, timeoutMs: 2000 }));
    expect(o.kind).toBe('certificate');
    expect(o.message).toBe(`The TLS certificate of 127.0.0.1:${tlsPort} is not trusted (self-signed certificate).`);
    expect(o.hint).toMatch(/Paste its CA certificate in CA Certificate/);
    expect(o.hint).toMatch(/Skip certificate verification \(insecure\)/);
  });

  it('its CA as PEM text makes it pass; another CA is named as the wrong one', async () => {
    const ok = success(await testConnection({ ...base, port: tlsPort, tls: { ca: Buffer.from(tlsFiles.pem) } }));
    expect(ok.notes).toEqual([]);
    const other = makeTlsFiles();
    try {
      const o = failure(await testConnection({ ...base, port: tlsPort, tls: { ca: Buffer.from(other.pem) }, timeoutMs: 2000 }));
      expect(o.kind).toBe('certificate');
      expect(o.message).toMatch(/is not signed by the CA certificate given \(self-signed certificate\)/);
    } finally {
      other.cleanup();
    }
  });

  it('a certificate for another host name fails even with its CA', async () => {
    const elsewhere = makeTlsFiles('DNS:elsewhere.test');
    const port = await freePort();
    const server = await RedisServer.start({ config: tlsServerConfig(elsewhere, port) });
    try {
      const o = failure(await testConnection({ ...base, port, tls: { ca: Buffer.from(elsewhere.pem) }, timeoutMs: 2000 }));
      expect(o.kind).toBe('certificate');
      expect(o.message).toMatch(/is not issued for "127\.0\.0\.1" \(IP: 127\.0\.0\.1 is not in the cert's list\)/);
    } finally {
      await server.stop();
      elsewhere.cleanup();
    }
  });

  it('Skip certificate verification connects and says the certificate was not verified', async () => {
    const o = success(await testConnection({ ...base, port: tlsPort, tls: { insecure: true } }));
    expect(o.notes).toEqual([expect.stringMatching(/^The TLS certificate was not verified/)]);
  });
});

describe('testConnection presents the client certificate to a server with tls-auth-clients yes', () => {
  let files: TlsFiles;
  let server: RedisServer;
  let port: number;

  beforeAll(async () => {
    files = makeTlsFiles();
    port = await freePort();
    server = await RedisServer.start({ config: tlsServerConfig(files, port, { authClients: true }) });
  });

  afterAll(async () => {
    await server?.stop();
    files?.cleanup();
  });

  it('without one: its own message, not a certificate, TLS or password failure', async () => {
    const o = failure(await testConnection({ ...base, port, tls: { ca: Buffer.from(files.pem) }, timeoutMs: 2000 }));
    expect(o.kind).toBe('client-certificate');
    expect(o.message).toBe(`127.0.0.1:${port} requires a client certificate (tls-auth-clients).`);
    expect(o.hint).toMatch(/^Add Client Certificate and Client Private Key/);
    // With a password the alert arrives while AUTH is answered: still the same message.
    const withPassword = failure(await testConnection({ ...base, port, password: 'pw', tls: { ca: Buffer.from(files.pem) }, timeoutMs: 2000 }));
    expect(withPassword.kind).toBe('client-certificate');
  });

  it('with a certificate the server trusts and its key: connected', async () => {
    const client = makeClientCertificate(files);
    const o = success(await testConnection({ ...base, port, tls: { ca: Buffer.from(files.pem), cert: Buffer.from(client.cert), key: Buffer.from(client.key) } }));
    expect(o.notes).toEqual([]);
  });

  it('a certificate from a CA the server does not trust is refused in words', async () => {
    const other = makeTlsFiles();
    try {
      const stranger = makeClientCertificate(other);
      const o = failure(await testConnection({
        ...base, port, tls: { ca: Buffer.from(files.pem), cert: Buffer.from(stranger.cert), key: Buffer.from(stranger.key) }, timeoutMs: 2000,
      }));
      expect(o.kind).toBe('client-certificate');
      // Both test CAs are named CN=localhost, so the server finds "its" CA and the signature fails to check.
      expect(o.message).toBe(`127.0.0.1:${port} does not accept the client certificate (tlsv1 alert decrypt error).`);
      expect(o.hint).toMatch(/^Use a client certificate signed by a CA the server trusts/);
    } finally {
      other.cleanup();
    }
  });
});
