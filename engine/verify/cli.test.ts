/** `npm run verify` (engine/cli/verify.ts) as a child process: output, exit codes 0 / 1 / 2 and its error lines. */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, RedisServer } from '../testing/redis-server';
import type { VerifyResult } from './types';

const ROOT = path.resolve(import.meta.dirname, '../..');
const TSX = path.join(ROOT, 'node_modules/.bin/tsx');
const CLI = path.join(ROOT, 'engine/cli/verify.ts');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(TSX, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** The `error:` lines a run printed. */
const errors = (r: Run) => r.stderr.split('\n').filter((l) => l.startsWith('error:'));

let src: RedisServer;
let dst: RedisServer;
let locked: RedisServer;
let secure: RedisServer;
let tlsPort: number;
let certDir: string;
let s: Redis;
let t: Redis;

beforeAll(async () => {
  // A self-signed certificate for a destination that also listens with TLS.
  certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verify-tls-'));
  const cert = path.join(certDir, 'cert.pem');
  const key = path.join(certDir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl failed: ${made.stderr}`);
  tlsPort = await freePort();
  [src, dst, locked, secure] = await Promise.all([RedisServer.start(), RedisServer.start(), RedisServer.start({ password: 'pw' }),
    RedisServer.start({ args: ['--tls-port', String(tlsPort), '--tls-cert-file', cert, '--tls-key-file', key, '--tls-ca-cert-file', cert, '--tls-auth-clients', 'no'] })]);
  s = src.client();
  t = dst.client();
  for (const c of [s, t]) {
    await c.set('same', '1');
    await c.hset('h', 'f', 'v');
    await c.select(1);
    await c.set('a:1', 'x');
    await c.select(0);
  }
  await s.set('diff', 'source');
  await t.set('diff', 'destination');
  await s.set('only-source', 'x');
  // Source DB 1 was written to destination DB 2 for the mapping case.
  await t.select(2);
  await t.set('a:1', 'x');
  await t.set('b:1', 'not on the source');
  await t.select(0);
});

afterAll(async () => {
  s?.disconnect();
  t?.disconnect();
  await Promise.all([src?.stop(), dst?.stop(), locked?.stop(), secure?.stop()]);
  fs.rmSync(certDir, { recursive: true, force: true });
});

describe('npm run verify', () => {
  it('exits 0 and says "equal" when the last round finds no difference', async () => {
    const r = await run(['--source', src.url, '--target', dst.url, '--db', '1']);
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^round\s+scope\s+keys\s+lack_target\s+lack_source\s+type\s+value\s+ttl\s+differences\s+time$/m);
    expect(r.stdout).toMatch(/^1\s+all\s+1\s+0\s+0\s+0\s+0\s+0\s+0\s/m);
    expect(r.stdout.trim().split('\n').at(-1)).toBe('equal: no difference in round 1');
  });

  it('exits 1 with the table per round and a sample of the differences left', async () => {
    const r = await run(['--source', src.url, '--target', dst.url, '--db', '0', '--rounds', '2', '--interval-seconds', '0.1']);
    expect(errors(r)).toEqual([]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^1\s+all\s+4\s+1\s+0\s+0\s+1\s+0\s+2\s/m);
    expect(r.stdout).toMatch(/^2\s+recheck\s+2\s+1\s+0\s+0\s+1\s+0\s+2\s/m);
    expect(r.stdout).toContain('db 0  value        "diff"  source source  destination destination');
    expect(r.stdout).toContain('db 0  lack_target  "only-source"');
    expect(r.stdout.trim().split('\n').at(-1)).toBe('NOT equal: 2 differences left after 2 rounds');
  });

  it('--json prints the result; DB mapping and key prefixes are honoured', async () => {
    const mapped = await run(['--source', src.url, '--target', dst.url, '--db', '1', '--db-map', '1:2', '--key-prefix', 'a:', '--json', '--rounds', '1']);
    expect(mapped.code).toBe(0);
    const result = JSON.parse(mapped.stdout) as VerifyResult;
    expect(result).toMatchObject({ equal: true, final: { dbs: [{ db: 1, targetDb: 2, keysChecked: 1 }] } });
    const all = await run(['--source', src.url, '--target', dst.url, '--db', '1', '--db-map', '1:2', '--json', '--rounds', '1']);
    expect(all.code).toBe(1);
    expect((JSON.parse(all.stdout) as VerifyResult).final.dbs[0].sample).toMatchObject([{ key: 'b:1', kind: 'lack_source', targetDb: 2 }]);
  });

  it('exits 2 with one error line for usage and connection errors', async () => {
    const closed = await freePort();
    const [mode, missing, refused, password, badDb, help] = await Promise.all([
      run(['--source', src.url, '--target', dst.url, '--mode', 'fast']),
      run(['--source', src.url]),
      run(['--source', src.url, '--target', `redis://127.0.0.1:${closed}`]),
      run(['--source', src.url, '--target', `redis://:wrong@127.0.0.1:${locked.port}`]),
      run(['--source', src.url, '--target', dst.url, '--db', '40']),
      run(['--help']),
    ]);
    expect([mode.code, missing.code, refused.code, password.code, badDb.code, help.code]).toEqual([2, 2, 2, 2, 2, 0]);
    expect(errors(mode)).toEqual(['error: --mode: "fast" is not full, length, keys, full-length-above']);
    expect(errors(missing)).toEqual(['error: --target is required']);
    expect(errors(refused)).toEqual([`error: connection refused by the destination 127.0.0.1:${closed}: nothing is listening on that port, or a firewall rejects it (check the host and port of the URL, and that the server is running and bound to an address this machine can reach)`]);
    expect(errors(password)).toHaveLength(1);
    expect(errors(password)[0]).toMatch(new RegExp(`^error: wrong password for the default user on the destination 127.0.0.1:${locked.port}: WRONGPASS.*\\(check the password in the URL; `));
    expect(errors(badDb)).toEqual([`error: the source 127.0.0.1:${src.port} has no DB 40: ERR DB index is out of range (check the DB selection and mapping)`]);
    expect(help.stdout).toContain('usage: npm run verify');
    for (const r of [refused, password, badDb]) expect(r.stdout).toBe('');
  });

  it('reads a TLS destination (rediss://) with --tls-ca, and says why without it', async () => {
    const c = secure.client();
    await c.set('same', '1');
    await c.hset('h', 'f', 'v');
    c.disconnect();
    const target = `rediss://127.0.0.1:${tlsPort}`;
    const [ok, untrusted] = await Promise.all([
      run(['--source', src.url, '--target', target, '--db', '0', '--key-prefix', 'same', '--tls-ca', path.join(certDir, 'cert.pem'), '--rounds', '1']),
      run(['--source', src.url, '--target', target, '--rounds', '1']),
    ]);
    expect(errors(ok)).toEqual([]);
    expect(ok.code).toBe(0);
    expect(untrusted.code).toBe(2);
    // The CLI's words, never the console's field names.
    expect(errors(untrusted)).toEqual([`error: the TLS certificate of the destination 127.0.0.1:${tlsPort} is not trusted (self-signed certificate) (give its CA certificate with --tls-ca FILE (PEM), or, only where nobody can intercept the traffic, add --tls-insecure)`]);
  });
});
