import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeClientCertificate, makeTlsFiles } from '../testing/tls-certificates';
import { parseCli, UsageError } from './options';

describe('sync CLI options', () => {
  it('turns the documented flags into task options', () => {
    const o = parseCli([
      '--source', 'redis://user:p%40ss@src.example:6380', '--target', 'redis://127.0.0.1:6400',
      '--type', 'full', '--db', '0,1,5', '--db-map', '0:1,5:5', '--key-prefix', 'a:,b:', '--exclude-prefix', 'tmp:',
      '--conflict', 'overwrite', '--rps', '5000', '--ttl-extend', '30', '--retry-minutes', '2', '--task-id', 'job7',
    ]);
    expect(o).toMatchObject({
      taskId: 'job7',
      source: { host: 'src.example', port: 6380, username: 'user', password: 'p@ss' },
      target: { host: '127.0.0.1', port: 6400 },
      type: 'full',
      conflict: 'overwrite',
      rps: 5000,
      ttlExtendSeconds: 30,
      connectionRetryMs: 120_000,
      otherRetryMs: 120_000,
      filter: { dbs: [0, 1, 5], includePrefixes: ['a:', 'b:'], excludePrefixes: ['tmp:'] },
    });
    expect([...(o.filter?.dbMap ?? new Map())]).toEqual([[0, 1], [5, 5]]);
  });

  it('defaults: full+incremental, block, every DB, 10 minutes of retries', () => {
    const o = parseCli(['--source', 'redis://a:1', '--target', 'redis://b:2']);
    expect(o).toMatchObject({ type: 'full+incremental', conflict: 'block', connectionRetryMs: 600_000 });
    expect(o.filter?.dbs).toBeUndefined();
    expect(o.source?.tls).toBeUndefined();
  });

  it('--read scan reads the source by scan; replication is the default; anything else is a usage error', () => {
    expect(parseCli(['--source', 'redis://a:1', '--target', 'redis://b:2', '--read', 'scan'])).toMatchObject({ read: 'scan' });
    expect(parseCli(['--source', 'redis://a:1', '--target', 'redis://b:2'])).toMatchObject({ read: 'replication' });
    expect(() => parseCli(['--source', 'redis://a:1', '--target', 'redis://b:2', '--read', 'psync'])).toThrow(UsageError);
    expect(() => parseCli(['--rdb', '/tmp/x.rdb', '--target', 'redis://b:2', '--read', 'scan'])).toThrow(/--rdb restores a file/);
  });

  it('--rdb needs no source', () => {
    expect(parseCli(['--rdb', '/tmp/x.rdb', '--target', 'redis://b:2'])).toMatchObject({ rdbFile: '/tmp/x.rdb', source: undefined });
  });

  it('rediss:// turns TLS on; a CA file that cannot be read is named', () => {
    expect(parseCli(['--source', 'rediss://a:1', '--target', 'redis://b:2']).source?.tls).toEqual({});
    expect(() => parseCli(['--source', 'rediss://a:1', '--target', 'redis://b:2', '--tls-ca', '/nonexistent/ca.pem']))
      .toThrow(/cannot read the TLS CA file \/nonexistent\/ca\.pem/);
  });

  it('checks the TLS files before anything connects: a CA that is not PEM, half a client pair, a key of another certificate', () => {
    const files = makeTlsFiles();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-cli-tls-'));
    try {
      const client = makeClientCertificate(files);
      const other = makeClientCertificate(files, 'someone-else');
      const write = (name: string, text: string) => {
        const f = path.join(dir, name);
        fs.writeFileSync(f, text);
        return f;
      };
      const [cert, key, otherKey, notPem] = [write('c.pem', client.cert), write('c.key', client.key), write('o.key', other.key), write('x.pem', 'hello')];
      const base = ['--source', 'rediss://a:1', '--target', 'redis://b:2'];
      expect(parseCli([...base, '--tls-ca', files.cert, '--tls-cert', cert, '--tls-key', key]).source?.tls?.key?.toString()).toBe(client.key);
      expect(() => parseCli([...base, '--tls-ca', notPem])).toThrow(`the TLS CA file ${notPem} cannot be used: this is not a PEM certificate`);
      expect(() => parseCli([...base, '--tls-cert', cert])).toThrow('a client certificate needs its key: give --tls-cert and --tls-key together');
      expect(() => parseCli([...base, '--tls-cert', cert, '--tls-key', otherKey]))
        .toThrow(`the TLS key file ${otherKey} cannot be used: this key does not belong to the Client Certificate`);
    } finally {
      files.cleanup();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each([
    [['--source', 'redis://a:1'], /--target is required/],
    [['--target', 'redis://b:2'], /--source \(or --rdb FILE\) is required/],
    [['--source', 'redis://a:1', '--target', 'redis://b:2', '--type', 'partial'], /--type: "partial" is not full, incremental or full\+incremental/],
    [['--source', 'redis://a:1', '--target', 'redis://b:2', '--conflict', 'ignore'], /--conflict: "ignore" is not block or overwrite/],
    [['--source', 'redis://a:1', '--target', 'redis://b:2', '--db', '256'], /--db: "256" is not a DB number \(0-255\)/],
    [['--source', 'redis://a:1', '--target', 'redis://b:2', '--db-map', '1'], /--db-map: "1" is not FROM:TO/],
    [['--source', 'redis://a:1', '--target', 'redis://b:2', '--rps=-1'], /--rps: "-1" is not a non-negative number/],
    [['--source', 'redis://a:1', '--target', 'redis://b:2', '--rps', '-1'], /use '--rps=-XYZ'/],
    [['--source', 'redis://a:1', '--target', 'redis://b:2', '--bogus'], /Unknown option '--bogus'/],
    [['--source', 'redis://a:1', '--target'], /--target/],
  ])('refuses %j', (args, message) => {
    expect(() => parseCli(args)).toThrow(UsageError);
    expect(() => parseCli(args)).toThrow(message);
  });

  it('refuses a URL that is not redis:// or rediss://', () => {
    expect(() => parseCli(['--source', 'http://a:1', '--target', 'redis://b:2'])).toThrow(/must start with redis:\/\/ or rediss:\/\//);
  });

  it('takes the cluster flags (forced) and leaves cluster detection to the runner otherwise', () => {
    const forced = parseCli(['--source', 'redis://a:1', '--target', 'redis://b:2', '--source-cluster', '--target-cluster', '--use-replicas']);
    expect(forced).toMatchObject({ sourceCluster: true, targetCluster: true, useReplicas: true });
    const asked = parseCli(['--source', 'redis://a:1', '--target', 'redis://b:2']);
    expect(asked.sourceCluster).toBeUndefined();
    expect(asked.targetCluster).toBeUndefined();
  });
});
