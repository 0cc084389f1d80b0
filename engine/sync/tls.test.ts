/**
 * TLS on both sides: redis-servers listening with TLS only (certificates made here
 * with the openssl CLI), the task given rediss:// endpoints and the CA.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRedisUrl, type RedisEndpoint } from '../endpoint';
import { DtsError } from '../errors';
import { freePort, RedisServer, requireBinary } from '../testing/redis-server';
import { fillEveryEncoding } from './testing/every-encoding';
import { endTask, runTask, waitCaughtUp, waitStage } from './testing/run-task';
import { expectDigestEqual, expectEqual } from '../testing/expect-equal';
import { tempDir } from '../testing/temp-dir';

interface Pki {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

/** A CA and a server certificate for 127.0.0.1 / localhost, valid for a day. */
function makePki(): Pki {
  const openssl = requireBinary('openssl', 'openssl');
  const dir = tempDir('dts-tls-');
  const f = (name: string) => path.join(dir, name);
  const run = (...args: string[]) => execFileSync(openssl, args, { stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  run('req', '-x509', '-new', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=redis-dts test CA');
  run('req', '-new', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', '/CN=localhost');
  fs.writeFileSync(f('san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  run('x509', '-req', '-in', f('server.csr'), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial',
    '-out', f('server.crt'), '-days', '1', '-extfile', f('san.ext'));
  return { dir, ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key') };
}

/**
 * A redis-server with a TLS port. The harness needs a plain port to see it start and
 * the test uses it to seed and compare; it is closed (CONFIG SET port 0) before the
 * task runs, so the engine can only speak TLS.
 */
async function startTlsServer(pki: Pki, config: Record<string, string | number> = {}): Promise<{ server: RedisServer; tlsPort: number }> {
  const tlsPort = await freePort();
  const server = await RedisServer.start({
    config: {
      'tls-port': tlsPort, 'tls-cert-file': pki.cert, 'tls-key-file': pki.key, 'tls-ca-cert-file': pki.ca,
      'tls-auth-clients': 'no', 'tls-replication': 'no', ...config,
    },
  });
  return { server, tlsPort };
}

describe('TLS on both sides', () => {
  let pki: Pki;
  let source: { server: RedisServer; tlsPort: number };
  let target: { server: RedisServer; tlsPort: number };
  let src: Redis;
  let dst: Redis;
  let sourceTls: RedisEndpoint;
  let targetTls: RedisEndpoint;

  beforeAll(async () => {
    pki = makePki();
    [source, target] = await Promise.all([
      startTlsServer(pki, { 'repl-diskless-sync-delay': 0 }),
      startTlsServer(pki),
    ]);
    src = source.server.client();
    dst = target.server.client();
    await fillEveryEncoding(src);
    for (const c of [src, dst]) await c.config('SET', 'port', '0');
    const ca = fs.readFileSync(pki.ca);
    sourceTls = parseRedisUrl(`rediss://127.0.0.1:${source.tlsPort}`, { ca });
    targetTls = parseRedisUrl(`rediss://127.0.0.1:${target.tlsPort}`, { ca });
  });
  afterAll(async () => {
    src?.disconnect();
    dst?.disconnect();
    await Promise.all([source?.server.stop(), target?.server.stop()]);
    if (pki) fs.rmSync(pki.dir, { recursive: true, force: true });
  });

  it('the plain-text ports are closed', async () => {
    expect(String(await src.config('GET', 'port'))).toBe('port,0');
    expect(String(await dst.config('GET', 'port'))).toBe('port,0');
  });

  it('full migration and incremental over rediss:// with the CA: equal', async () => {
    const run = runTask({ source: sourceTls, target: targetTls });
    await waitStage(run, 'incremental');
    await src.set('after:tls', 'yes');
    await src.hset('hash:listpack', 'tls', '1');
    await waitCaughtUp(run, src);
    await expectEqual(src, dst);
    const progress = await endTask(run);
    expect(progress.fullSyncs).toBe(1);
    await expectDigestEqual(src, dst);
    // The source really served a TLS replica (its log names the connection).
    expect(source.server.log()).toMatch(/Synchronization with replica .* succeeded/);
  });

  it('a certificate the task cannot verify fails at once with a TLS message', async () => {
    const noCa = parseRedisUrl(`rediss://127.0.0.1:${source.tlsPort}`);
    const run = runTask({ source: noCa, target: targetTls, conflict: 'overwrite' });
    await run.done;
    const err = run.error();
    expect(err).toBeInstanceOf(DtsError);
    expect((err as DtsError).describe()).toMatch(/the TLS certificate of the source .* is not trusted \((self[- ]signed|unable to (get|verify)).*\(give its CA certificate with --tls-ca/i);
    expect(run.task.progress.stage).toBe('failed');
  });
});
