/**
 * ReplicaLink failures against real redis-server 7.0 processes: each gives the right typed
 * LinkError, quickly, naming host:port, with a hint. Also TLS with certificates made here
 * with the openssl CLI.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisServer, freePort, requireBinary } from '../testing/redis-server';
import { LinkError, type LinkErrorCode } from './errors';
import { ReplicaLink, type ReplicaLinkOptions } from './link';
import { CommandReader, collectRdb, dataCommands } from './testing/link-reader';
import { masterReplOffset, serverPid } from '../testing/redis-info';
import { tempDir } from '../testing/temp-dir';
import { withTimeout } from '../testing/wait';

const spoolRoot = tempDir('dts-replica-err-');
afterAll(() => fs.rmSync(spoolRoot, { recursive: true, force: true }));

const links: ReplicaLink[] = [];
function newLink(opts: Partial<ReplicaLinkOptions> & { port: number }): ReplicaLink {
  const link = new ReplicaLink({ host: '127.0.0.1', spoolDir: spoolRoot, connectTimeoutMs: 3000, ...opts });
  links.push(link);
  return link;
}
afterEach(async () => {
  await Promise.all(links.splice(0).map((l) => l.close()));
});

/** connect() must reject with `code` within `withinMs`; returns the error. */
async function expectLinkError(link: ReplicaLink, code: LinkErrorCode, withinMs: number): Promise<LinkError> {
  const t0 = Date.now();
  let err: unknown;
  try {
    await link.connect();
  } catch (e) {
    err = e;
  }
  const ms = Date.now() - t0;
  expect(err, `expected ${code}`).toBeInstanceOf(LinkError);
  const e = err as LinkError;
  expect(e.code, e.describe()).toBe(code);
  expect(ms).toBeLessThan(withinMs);
  expect(e.message).toContain(link.address);
  expect(e.hint).toBeTruthy();
  expect(link.state).toBe('failed');
  return e;
}

describe('ReplicaLink: authentication and permissions', () => {
  let master: RedisServer;
  let c: Redis;
  beforeAll(async () => {
    master = await RedisServer.start({ password: 'sekret', config: { 'repl-diskless-sync-delay': 0 } });
    c = master.client();
    await c.set('k', 'v');
    await c.call('ACL', 'SETUSER', 'repl', 'on', '>replpw', 'resetkeys', '-@all', '+psync', '+sync', '+replconf', '+ping');
    await c.call('ACL', 'SETUSER', 'nosync', 'on', '>nopw', '~*', '+@all', '-psync', '-sync');
  });
  afterAll(async () => {
    c?.disconnect();
    await master?.stop();
  });

  it('syncs with requirepass', async () => {
    const link = newLink({ port: master.port, password: 'sekret' });
    expect((await link.connect()).mode).toBe('full');
    expect((await withTimeout(collectRdb(link), 10_000, 'RDB')).subarray(0, 5).toString()).toBe('REDIS');
  });

  it('syncs as an ACL user that has only +psync +sync +replconf +ping', async () => {
    const link = newLink({ port: master.port, username: 'repl', password: 'replpw' });
    expect((await link.connect()).mode).toBe('full');
    await withTimeout(collectRdb(link), 10_000, 'RDB');
    const reader = new CommandReader(link);
    await c.set('after-acl', '1');
    const cmds = await reader.until(await masterReplOffset(c));
    expect(dataCommands(cmds)).toEqual(['SELECT 0', 'SET after-acl 1']);
    await reader.return();
  });

  it('wrong password → AUTH_FAILED', async () => {
    const e = await expectLinkError(newLink({ port: master.port, password: 'wrong' }), 'AUTH_FAILED', 2000);
    expect(e.message).toMatch(/WRONGPASS|invalid/);
    expect(e.retryable).toBe(false);
  });

  it('no password for a server that requires one → AUTH_FAILED', async () => {
    const e = await expectLinkError(newLink({ port: master.port }), 'AUTH_FAILED', 2000);
    expect(e.message).toMatch(/requires a password/);
  });

  it('wrong password for an ACL user → AUTH_FAILED naming the user', async () => {
    const e = await expectLinkError(newLink({ port: master.port, username: 'repl', password: 'nope' }), 'AUTH_FAILED', 2000);
    expect(e.message).toContain('user "repl"');
  });

  it('an ACL user without +psync/+sync → NOPERM with the ACL to grant', async () => {
    const e = await expectLinkError(newLink({ port: master.port, username: 'nosync', password: 'nopw' }), 'NOPERM', 2000);
    expect(e.message).toMatch(/psync/i);
    expect(e.hint).toContain('ACL SETUSER nosync +psync');
  });
});

describe('ReplicaLink: unreachable, not ready, silent', () => {
  let master: RedisServer;
  let c: Redis;
  let pid = 0;
  beforeAll(async () => {
    master = await RedisServer.start({ config: { 'repl-diskless-sync-delay': 0 } });
    c = master.client();
    pid = await serverPid(c);
  });
  afterAll(async () => {
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // gone
    }
    c?.disconnect();
    await master?.stop();
  });

  it('a refused port → UNREACHABLE at once', async () => {
    const port = await freePort();
    const e = await expectLinkError(newLink({ port }), 'UNREACHABLE', 1000);
    expect(e.message).toMatch(/connection refused/);
    expect(e.retryable).toBe(true);
  });

  it('a host name that does not resolve → UNREACHABLE', async () => {
    const e = await expectLinkError(newLink({ host: 'no-such-host.invalid', port: 6379 }), 'UNREACHABLE', 5000);
    expect(e.message).toMatch(/resolve/);
  });

  it('a replica without its master → MASTER_NOT_READY (retry later)', async () => {
    const orphan = await RedisServer.start();
    const oc = orphan.client();
    try {
      await oc.call('REPLICAOF', '127.0.0.1', String(await freePort()));
      const e = await expectLinkError(newLink({ port: orphan.port }), 'MASTER_NOT_READY', 2000);
      expect(e.message).toMatch(/NOMASTERLINK/);
      expect(e.retryable).toBe(true);
    } finally {
      oc.disconnect();
      await orphan.stop();
    }
  });

  it('a server that accepts but never answers → TIMEOUT after the connect timeout', async () => {
    process.kill(pid, 'SIGSTOP');
    try {
      const e = await expectLinkError(newLink({ port: master.port, connectTimeoutMs: 500 }), 'TIMEOUT', 2000);
      expect(e.message).toMatch(/did not answer PING within 0.5 s/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('a master that falls silent mid-stream → the iterator throws TIMEOUT after timeoutMs', async () => {
    const link = newLink({ port: master.port, timeoutMs: 1500 });
    await link.connect();
    const reader = new CommandReader(link);
    await c.set('before-silence', '1');
    await reader.until(await masterReplOffset(c));
    process.kill(pid, 'SIGSTOP');
    const t0 = Date.now();
    try {
      let err: unknown;
      try {
        for (;;) await reader.next(10_000);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(LinkError);
      expect((err as LinkError).code).toBe('TIMEOUT');
      expect((err as LinkError).message).toMatch(/sent nothing for 1\.\d s/);
      expect(Date.now() - t0).toBeLessThan(3500);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });

  it('close() while connecting rejects connect() with CLOSED; close() is idempotent', async () => {
    process.kill(pid, 'SIGSTOP');
    try {
      const link = newLink({ port: master.port, connectTimeoutMs: 5000 });
      const outcome = link.connect().then(() => null, (e: unknown) => e);
      await new Promise((r) => setTimeout(r, 100));
      await Promise.all([link.close(), link.close()]);
      expect(await outcome).toMatchObject({ code: 'CLOSED' });
      expect(link.state).toBe('closed');
      await link.close();
    } finally {
      process.kill(pid, 'SIGCONT');
    }
  });
});

describe('ReplicaLink: TLS (certificates made with openssl)', () => {
  let dir: string;
  let master: RedisServer;
  let c: Redis;
  let tlsPort = 0;
  const pem = (name: string) => fs.readFileSync(path.join(dir, name));

  beforeAll(async () => {
    const openssl = requireBinary('openssl', 'openssl');
    dir = tempDir('dts-tls-');
    const run = (...args: string[]) => {
      const r = spawnSync(openssl, args, { cwd: dir, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${r.stderr}`);
    };
    fs.writeFileSync(path.join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
    run('req', '-x509', '-new', '-nodes', '-newkey', 'rsa:2048', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=dts-test-ca');
    run('req', '-new', '-nodes', '-newkey', 'rsa:2048', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
    run('x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'server.ext');
    run('req', '-new', '-nodes', '-newkey', 'rsa:2048', '-keyout', 'client.key', '-out', 'client.csr', '-subj', '/CN=dts-client');
    run('x509', '-req', '-in', 'client.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'client.crt', '-days', '2');
    run('req', '-x509', '-new', '-nodes', '-newkey', 'rsa:2048', '-keyout', 'other.key', '-out', 'other.crt', '-days', '2', '-subj', '/CN=other-ca');
    tlsPort = await freePort();
    // The harness probes readiness on the plain port, so it stays open beside the TLS port;
    // every TLS assertion below goes to the TLS port.
    master = await RedisServer.start({
      config: { 'repl-diskless-sync-delay': 0 },
      args: [
        '--tls-port', String(tlsPort),
        '--tls-cert-file', path.join(dir, 'server.crt'),
        '--tls-key-file', path.join(dir, 'server.key'),
        '--tls-ca-cert-file', path.join(dir, 'ca.crt'),
        '--tls-auth-clients', 'yes',
      ],
    });
    c = master.client();
  });
  afterAll(async () => {
    c?.disconnect();
    await master?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('syncs over TLS with the CA and a client certificate: RDB then commands', async () => {
    const link = newLink({ port: tlsPort, tls: { ca: pem('ca.crt'), cert: pem('client.crt'), key: pem('client.key') } });
    expect((await link.connect()).mode).toBe('full');
    const rdb = await withTimeout(collectRdb(link), 10_000, 'RDB over TLS');
    expect(rdb.subarray(0, 9).toString()).toBe('REDIS0010');
    const reader = new CommandReader(link);
    await c.set('over-tls', 'yes');
    expect(dataCommands(await reader.until(await masterReplOffset(c)))).toEqual(['SELECT 0', 'SET over-tls yes']);
    await reader.return();
  });

  it('a CA that did not sign the server certificate → TLS', async () => {
    const e = await expectLinkError(newLink({ port: tlsPort, tls: { ca: pem('other.crt'), cert: pem('client.crt'), key: pem('client.key') } }), 'TLS', 2000);
    expect(e.message).toMatch(/certificate/);
  });

  it('no client certificate where the server requires one → TLS', async () => {
    const e = await expectLinkError(newLink({ port: tlsPort, tls: { ca: pem('ca.crt') } }), 'TLS', 2000);
    expect(e.message).toMatch(/^the source 127\.0\.0\.1:\d+ requires a client certificate \(tls-auth-clients\)$/);
  });

  it('a key that is not PEM → TLS, before any connection', async () => {
    const e = await expectLinkError(newLink({ port: tlsPort, tls: { ca: pem('ca.crt'), cert: pem('client.crt'), key: Buffer.from('not a key') } }), 'TLS', 500);
    expect(e.message).toMatch(/^cannot use the TLS settings for the source /);
  });

  it('plain text to the TLS port → TLS', async () => {
    const e = await expectLinkError(newLink({ port: tlsPort }), 'TLS', 2000);
    expect(e.message).toMatch(/probably expects TLS/);
    // The link was given no audience: the CLI's, whose reader writes URLs.
    expect(e.hint).toMatch(/^use a rediss:\/\/ URL/);
  });

  it('TLS to the plain port → TLS after the connect timeout', async () => {
    const e = await expectLinkError(newLink({ port: master.port, connectTimeoutMs: 800, tls: { ca: pem('ca.crt') } }), 'TLS', 2000);
    expect(e.message).toMatch(/TLS handshake .* did not complete/);
  });
});
