/**
 * Every precheck item observed failing (or warning) and passing against real
 * redis-server processes set up to trigger it. Versions other than the one
 * installed come from a scripted RESP server.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisCluster, RedisServer } from '@/engine/testing/redis-server';
import { precheckItemsFor, precheckPasses, runPrechecks } from './run';
import { buildProbeModule } from './testing/probe-module';
import { makeClientCertificate, makeTlsFiles, tlsServerConfig } from '../testing/tls-certificates';
import { infoText, startScriptedServer, type ScriptedServer } from './testing/scripted-server';
import type { PrecheckInput, PrecheckItemId, PrecheckOptions, PrecheckResult, RedisEndpoint } from './types';

const opts: PrecheckOptions = { syncTypes: 'full+incremental', conflictMode: 'block', dbs: [{ db: 0, targetDb: 0 }, { db: 1, targetDb: 1 }] };

/** A side as the console's precheck gets it: failures are worded with its field names. */
function ep(server: { port: number }, extra: Partial<RedisEndpoint> = {}): RedisEndpoint {
  return { host: '127.0.0.1', port: server.port, mode: 'standalone', audience: 'console', ...extra };
}

async function item(id: PrecheckItemId, input: PrecheckInput): Promise<PrecheckResult> {
  const [r] = await runPrechecks(input, { only: [id], timeoutMs: 3000 });
  return r;
}

let source: RedisServer;
let target: RedisServer;

beforeAll(async () => {
  source = await RedisServer.start({ password: 'srcpw' });
  target = await RedisServer.start();
  const c = source.client();
  for (let i = 0; i < 50; i++) await c.set(`user:${i}`, 'x'.repeat(100));
  await c.select(1);
  await c.hset('h', 'f', 'v');
  await c.call('ACL', 'SETUSER', 'reader', 'on', '>readpw', '~*', '+@all', '-psync', '-sync');
  await c.call('ACL', 'SETUSER', 'replonly', 'on', '>replpw', '~*', '+@all', '-@write');
  c.disconnect();
});

afterAll(async () => {
  await source?.stop();
  await target?.stop();
});

const good = (): PrecheckInput => ({ source: ep(source, { password: 'srcpw' }), target: ep(target), options: opts });

describe('runPrechecks', () => {
  it('passes every item for a healthy pair and reports them in order as they complete', async () => {
    const seen: string[] = [];
    const results = await runPrechecks(good(), { onResult: (r) => { seen.push(r.id); } });
    expect(seen).toEqual(precheckItemsFor({ readMethod: 'replication' }).map((i) => i.id));
    for (const r of results) expect({ id: r.id, status: r.status, reason: r.reason }).toMatchObject({ id: r.id, status: 'passed' });
    expect(precheckPasses(results)).toBe(true);
    expect(results.every((r) => r.reason.length > 0)).toBe(true);
  });

  it('connectivity: wrong password and refused port fail, never ignorable; dependent items say why they did not run', async () => {
    const refused = await freePort();
    const results = await runPrechecks({ source: ep(source, { password: 'bad' }), target: ep({ port: refused }), options: opts });
    const byId = Object.fromEntries(results.map((r) => [r.id, r]));
    expect(byId['source-connectivity']).toMatchObject({ status: 'failed', ignorable: false });
    expect(byId['source-connectivity'].reason).toMatch(/Wrong password/);
    expect(byId['source-connectivity'].fix).toMatch(/<user>:<password>/);
    expect(byId['target-connectivity']).toMatchObject({ status: 'failed', ignorable: false });
    expect(byId['target-connectivity'].reason).toMatch(/Connection refused/);
    expect(byId['target-memory'].reason).toMatch(/^Not checked: the source database cannot be connected/);
    expect(precheckPasses(results, ['target-memory'])).toBe(false);
  });

  it('source version: unsupported fails, supported passes', async () => {
    const old = await startScriptedServer(([cmd]) => (cmd.toUpperCase() === 'INFO' ? infoText({ redis_version: '2.6.17', role: 'master' }) : undefined));
    try {
      const r = await item('source-version', { ...good(), source: ep(old) });
      expect(r.status).toBe('failed');
      expect(r.reason).toMatch(/2\.6\.17 is not supported/);
      expect((await item('source-version', good())).status).toBe('passed');
    } finally {
      await old.stop();
    }
  });

  it('destination older than the source warns (values rewritten as commands)', async () => {
    const older: ScriptedServer = await startScriptedServer(([cmd]) =>
      (cmd.toUpperCase() === 'INFO' ? infoText({ redis_version: '5.0.7', role: 'master', maxmemory: 0, maxmemory_policy: 'noeviction' }) : undefined));
    try {
      const r = await item('version-compat', { ...good(), target: ep(older) });
      expect(r.status).toBe('warning');
      expect(r.reason).toMatch(/older than the source/);
      expect(r.details[0]).toMatch(/destination Redis 5\.0\.7 \(RDB 9\)/);
      expect((await item('version-compat', good())).status).toBe('passed');
    } finally {
      await older.stop();
    }
  });

  it('PSYNC permission: an ACL user without PSYNC fails; without write rights warns about the heartbeat', async () => {
    const denied = await item('source-psync', { ...good(), source: ep(source, { username: 'reader', password: 'readpw' }) });
    expect(denied).toMatchObject({ status: 'failed', ignorable: false });
    expect(denied.reason).toMatch(/ACL user "reader" cannot replicate/);
    expect(denied.fix).toMatch(/ACL SETUSER reader \+psync/);
    const noWrite = await item('source-psync', { ...good(), source: ep(source, { username: 'replonly', password: 'replpw' }) });
    expect(noWrite.status).toBe('warning');
    expect(noWrite.reason).toMatch(/cannot write the heartbeat key/);
    const ok = await item('source-psync', good());
    expect(ok.status).toBe('passed');
    expect(ok.details.join('\n')).toMatch(/no sync started/);
    // The probe must not have made the source start a full sync for anyone.
    const c = source.client();
    const info = String(await c.call('INFO', 'replication'));
    c.disconnect();
    expect(info).toMatch(/connected_slaves:0/);
  });

  it('destination memory: < 1.0× fails, < 1.1× warns, enough or unlimited passes', async () => {
    const s = source.client();
    const used = Number(/used_memory:(\d+)/.exec(String(await s.call('INFO', 'memory')))![1]);
    s.disconnect();
    const t = target.client();
    try {
      await t.call('CONFIG', 'SET', 'maxmemory', String(Math.floor(used * 0.5)));
      const low = await item('target-memory', good());
      expect(low.status).toBe('failed');
      expect(low.fix).toMatch(/^CONFIG SET maxmemory \d+/);
      await t.call('CONFIG', 'SET', 'maxmemory', String(Math.floor(used * 1.05)));
      expect((await item('target-memory', good())).status).toBe('warning');
      await t.call('CONFIG', 'SET', 'maxmemory', String(used * 4));
      expect((await item('target-memory', good())).status).toBe('passed');
      await t.call('CONFIG', 'SET', 'maxmemory', '0');
      const unlimited = await item('target-memory', good());
      expect(unlimited.status).toBe('passed');
      expect(unlimited.reason).toMatch(/no maxmemory/);
    } finally {
      await t.call('CONFIG', 'SET', 'maxmemory', '0');
      t.disconnect();
    }
  });

  it('destination eviction policy: anything but noeviction warns with the CONFIG SET that fixes it', async () => {
    const t = target.client();
    try {
      await t.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru');
      const r = await item('target-eviction', good());
      expect(r.status).toBe('warning');
      expect(r.fix).toBe('CONFIG SET maxmemory-policy noeviction');
      await t.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      expect((await item('target-eviction', good())).status).toBe('passed');
    } finally {
      await t.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      t.disconnect();
    }
  });

  it('existence check: keys in a selected destination DB fail under Precheck And Block, naming DB and keys', async () => {
    const t = target.client();
    try {
      await t.select(1);
      await t.set('already-here', '1');
      const r = await item('target-existence', good());
      expect(r).toMatchObject({ status: 'failed', ignorable: true });
      expect(r.reason).toMatch(/DB 1/);
      expect(r.details.join('\n')).toMatch(/DB 1: 1 key\(s\), e\.g\. "already-here"/);
      expect((await item('target-existence', { ...good(), options: { ...opts, conflictMode: 'ignore' } })).status).toBe('passed');
      const remapped = await item('target-existence', { ...good(), options: { ...opts, dbs: [{ db: 0, targetDb: 0 }, { db: 1, targetDb: 2 }] } });
      expect(remapped.status).toBe('passed');
      await t.flushdb();
      expect((await item('target-existence', good())).status).toBe('passed');
    } finally {
      await t.flushall();
      t.disconnect();
    }
  });

  it('source replication settings: small backlog, short repl-timeout and a low replica buffer warn with fixes', async () => {
    const c = source.client();
    try {
      await c.call('CONFIG', 'SET', 'repl-timeout', '10');
      const r1 = await item('source-replication', good());
      expect(r1.status).toBe('warning');
      expect(r1.fix).toContain('CONFIG SET repl-timeout 60');
      await c.call('CONFIG', 'SET', 'repl-timeout', '60');
      await c.call('CONFIG', 'SET', 'repl-backlog-size', '16384');
      const r2 = await item('source-replication', good());
      expect(r2.status).toBe('warning');
      expect(r2.fix).toMatch(/CONFIG SET repl-backlog-size \d+/);
      await c.call('CONFIG', 'SET', 'repl-backlog-size', String(1024 * 1024));
      await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'replica 1mb 1mb 60');
      const r3 = await item('source-replication', good());
      expect(r3.status).toBe('warning');
      expect(r3.fix).toMatch(/CONFIG SET client-output-buffer-limit "replica \d+ \d+ 60"/);
      await c.call('CONFIG', 'SET', 'client-output-buffer-limit', 'replica 256mb 64mb 60');
      expect((await item('source-replication', good())).status).toBe('passed');
    } finally {
      c.disconnect();
    }
  });

  it('cluster topology: mode mismatch and DBs other than 0 into a cluster fail; a proper cluster passes', async () => {
    const cluster = await RedisCluster.start(3);
    try {
      const asStandalone = await item('cluster-topology', { ...good(), source: ep(cluster.nodes[0]), options: { ...opts, dbs: [{ db: 0, targetDb: 0 }] } });
      expect(asStandalone.status).toBe('failed');
      expect(asStandalone.reason).toMatch(/cluster node but Instance Mode says Standalone/);

      const intoDb1 = await item('cluster-topology', { ...good(), target: ep(cluster.nodes[1], { mode: 'cluster' }) });
      expect(intoDb1.status).toBe('failed');
      expect(intoDb1.reason).toMatch(/only DB 0, but DB 1 → DB 1/);

      const ok = await item('cluster-topology', { ...good(), target: ep(cluster.nodes[1], { mode: 'cluster' }), options: { ...opts, dbs: [{ db: 0, targetDb: 0 }] } });
      expect(ok.status).toBe('passed');
      expect(ok.details.join('\n')).toMatch(/cluster with 3 master shard\(s\).*16384\/16384 slots/);

      const fromCluster = await item('cluster-topology', { ...good(), source: ep(cluster.nodes[2], { mode: 'cluster' }), options: { ...opts, dbs: [{ db: 0, targetDb: 0 }] } });
      expect(fromCluster.status).toBe('passed');
      const merged = await item('cluster-topology', { ...good(), options: { ...opts, dbs: [{ db: 0, targetDb: 0 }, { db: 1, targetDb: 0 }] } });
      expect(merged.status).toBe('warning');
    } finally {
      await cluster.stop();
    }
  });

  it('modules: a module loaded on the source fails, naming it (builds a probe module with gcc)', async () => {
    const mod = buildProbeModule();
    const withModule = await RedisServer.start({ args: ['--loadmodule', mod.file] });
    try {
      const r = await item('source-modules', { ...good(), source: ep(withModule) });
      expect(r).toMatchObject({ status: 'failed', ignorable: true });
      expect(r.reason).toMatch(/"dtsprobe"/);
      expect((await item('source-modules', good())).status).toBe('passed');
    } finally {
      await withModule.stop();
      mod.cleanup();
    }
  });
});

describe('runPrechecks over TLS', () => {
  it('verifies certificates as the task will: a self-signed one fails connectivity until its CA is given', async () => {
    const files = makeTlsFiles();
    const [sourcePort, targetPort] = [await freePort(), await freePort()];
    const [tlsSource, tlsTarget] = await Promise.all([
      RedisServer.start({ config: tlsServerConfig(files, sourcePort) }),
      RedisServer.start({ config: tlsServerConfig(files, targetPort) }),
    ]);
    try {
      const ca = { ca: Buffer.from(files.pem) };
      const withCa = await runPrechecks({ source: ep({ port: sourcePort }, { tls: ca }), target: ep({ port: targetPort }, { tls: ca }), options: opts });
      // Every item, the raw PSYNC probe included, ran over verified TLS.
      expect(withCa.filter((r) => r.status !== 'passed').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
      expect(withCa.find((r) => r.id === 'target-connectivity')?.details).toContain('Encryption: SSL, certificate verified with the CA certificate given.');

      const noCa = await runPrechecks({ source: ep({ port: sourcePort }, { tls: ca }), target: ep({ port: targetPort }, { tls: {} }), options: opts });
      const target = noCa.find((r) => r.id === 'target-connectivity')!;
      expect(target).toMatchObject({ status: 'failed', ignorable: false });
      expect(target.reason).toBe(`The TLS certificate of 127.0.0.1:${targetPort} is not trusted (self-signed certificate).`);
      expect(target.fix).toMatch(/Paste its CA certificate in CA Certificate/);
      expect(target.details).toContain('Failure: certificate');
      expect(noCa.find((r) => r.id === 'source-connectivity')?.status).toBe('passed');
      expect(precheckPasses(noCa)).toBe(false);
    } finally {
      await Promise.all([tlsSource.stop(), tlsTarget.stop()]);
      files.cleanup();
    }
  });

  it('presents the client certificate to servers with tls-auth-clients yes, and says so when it is missing', async () => {
    const files = makeTlsFiles();
    const client = makeClientCertificate(files);
    const [sourcePort, targetPort] = [await freePort(), await freePort()];
    const [tlsSource, tlsTarget] = await Promise.all([
      RedisServer.start({ config: tlsServerConfig(files, sourcePort, { authClients: true }) }),
      RedisServer.start({ config: tlsServerConfig(files, targetPort, { authClients: true }) }),
    ]);
    try {
      const mtls = { ca: Buffer.from(files.pem), cert: Buffer.from(client.cert), key: Buffer.from(client.key) };
      const withCert = await runPrechecks({ source: ep({ port: sourcePort }, { tls: mtls }), target: ep({ port: targetPort }, { tls: mtls }), options: opts });
      // Every item, the raw PSYNC probe included, presented the certificate.
      expect(withCert.filter((r) => r.status !== 'passed').map((r) => `${r.id}: ${r.reason}`)).toEqual([]);
      expect(withCert.find((r) => r.id === 'target-connectivity')?.details)
        .toContain('Encryption: SSL, certificate verified with the CA certificate given, client certificate presented.');

      const noCert = await runPrechecks({ source: ep({ port: sourcePort }, { tls: mtls }), target: ep({ port: targetPort }, { tls: { ca: mtls.ca } }), options: opts });
      const target = noCert.find((r) => r.id === 'target-connectivity')!;
      expect(target).toMatchObject({ status: 'failed', ignorable: false });
      expect(target.reason).toBe(`127.0.0.1:${targetPort} requires a client certificate (tls-auth-clients).`);
      expect(target.fix).toMatch(/^Add Client Certificate and Client Private Key/);
      expect(target.details).toContain('Failure: client-certificate');
      expect(noCert.find((r) => r.id === 'source-connectivity')?.status).toBe('passed');
      expect(precheckPasses(noCert)).toBe(false);
    } finally {
      await Promise.all([tlsSource.stop(), tlsTarget.stop()]);
      files.cleanup();
    }
  });
});
