/**
 * Passwords and the CLIs (issue 16, row 10), run as child processes: a password given in a URL never
 * comes back in any message (usage errors, --json, --precheck, `npm run verify`, a refused AUTH), and
 * one given apart from the URL — a password file, DTS_SOURCE_PASSWORD — logs in to a real
 * password-protected redis-server.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type Redis from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisServer } from '../testing/redis-server';
import { startSource } from '../sync/testing/run-task';
import { errorLine, jsonEvents, runCli, type CliResult } from './testing/run-cli';

const PW = 'Hunter2-S3cret-pw';
const SOURCE_PW = 'src-Pa55word-from-a-file';

/** Everything the process printed. */
const printed = (r: CliResult) => `${r.stdout}\n${r.stderr}`;

function expectNoSecret(r: CliResult, ...secrets: string[]): void {
  for (const s of secrets) {
    expect(printed(r)).not.toContain(s);
    expect(printed(r)).not.toContain(encodeURIComponent(s));
  }
}

describe('a password in a URL is never printed', () => {
  const badUrl = `redis://app:${PW}@127.0.0.1:99999999`;

  it('a URL that does not parse: the usage error shows it without the password', async () => {
    const r = await runCli(['--source', badUrl, '--target', 'redis://127.0.0.1:1']);
    expect(r.code).toBe(2);
    expect(errorLine(r)).toContain('"redis://app:***@127.0.0.1:99999999" is not a Redis URL');
    expectNoSecret(r, PW);
  });

  it('the same with --json, --precheck, and in npm run verify', async () => {
    for (const [args, opts] of [
      [['--source', badUrl, '--target', 'redis://127.0.0.1:1', '--json'], {}],
      [['--precheck', '--source', 'redis://127.0.0.1:1', '--target', badUrl], {}],
      [['--source', badUrl, '--target', 'redis://127.0.0.1:1', '--json'], { cli: 'verify' as const }],
    ] as const) {
      const r = await runCli([...args], 30_000, opts);
      expect(r.code).toBe(2);
      expect(errorLine(r)).toContain('redis://app:***@');
      expectNoSecret(r, PW);
    }
  });

  it('a scheme other than redis://, and a password holding a space and an @ that nobody encoded', async () => {
    const http = await runCli(['--source', `http://app:${PW}@127.0.0.1:6000`, '--target', 'redis://127.0.0.1:1']);
    expect(errorLine(http)).toContain('"http://app:***@127.0.0.1:6000" must start with redis://');
    expectNoSecret(http, PW);
    const raw = 'two words@and-more';
    const odd = await runCli(['--source', `redis://app:${raw}@127.0.0.1:notaport`, '--target', 'redis://127.0.0.1:1']);
    expect(odd.code).toBe(2);
    expectNoSecret(odd, raw, 'and-more', 'two words');
  });

  it('a URL password together with a password file for the same side is refused, printing neither', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-cli-pw-'));
    try {
      const file = path.join(dir, 'pw');
      fs.writeFileSync(file, `${SOURCE_PW}\n`, { mode: 0o600 });
      const r = await runCli(['--source', `redis://:${PW}@127.0.0.1:1`, '--source-password-file', file, '--target', 'redis://127.0.0.1:2']);
      expect(r.code).toBe(2);
      expect(errorLine(r)).toContain('--source holds a password and --source-password-file gives one too');
      expectNoSecret(r, PW, SOURCE_PW);
      const orphan = await runCli(['--rdb', file, '--source-password-file', file, '--target', 'redis://127.0.0.1:2']);
      expect(orphan.code).toBe(2);
      expect(errorLine(orphan)).toContain('--source-password-file is given, but no --source');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('passwords given apart from the URL, against password-protected servers', () => {
  let source: RedisServer;
  let target: RedisServer;
  let src: Redis;
  let dst: Redis;
  let dir: string;

  beforeAll(async () => {
    [source, target] = await Promise.all([startSource({ password: SOURCE_PW }), RedisServer.start({ password: PW })]);
    src = source.client();
    dst = target.client();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-cli-pw-'));
  });
  afterAll(async () => {
    src?.disconnect();
    dst?.disconnect();
    await Promise.all([source?.stop(), target?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    await Promise.all([src.flushall(), dst.flushall()]);
  });

  const plain = (s: RedisServer) => `redis://127.0.0.1:${s.port}`;
  const passwordFile = (name: string, text: string) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text, { mode: 0o600 });
    return file;
  };

  it('--source-password-file and --target-password-file log in; the run copies the keys and prints neither password', async () => {
    await src.set('k', 'v');
    await src.hset('h', 'f', '1');
    const r = await runCli(['--source', plain(source), '--source-password-file', passwordFile('s', `${SOURCE_PW}\n`),
      '--target', plain(target), '--target-password-file', passwordFile('t', PW), '--type', 'full', '--json']);
    expect(errorLine(r)).toBe('');
    expect(r.code).toBe(0);
    expect(jsonEvents(r.stdout).at(-1)).toMatchObject({ type: 'done', stage: 'completed', keys: 2 });
    expect(await dst.get('k')).toBe('v');
    expectNoSecret(r, SOURCE_PW, PW);
  });

  it('DTS_SOURCE_PASSWORD / DTS_TARGET_PASSWORD log in (precheck passes); a wrong one fails without being printed', async () => {
    const env = { ...process.env, DTS_SOURCE_PASSWORD: SOURCE_PW, DTS_TARGET_PASSWORD: PW };
    const ok = await runCli(['--precheck', '--source', plain(source), '--target', plain(target), '--json'], 30_000, { env });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true });
    expectNoSecret(ok, SOURCE_PW, PW);

    const wrong = 'not-the-Source-Password';
    const bad = await runCli(['--source', plain(source), '--target', plain(target), '--type', 'full'], 30_000,
      { env: { ...env, DTS_SOURCE_PASSWORD: wrong } });
    expect(bad.code).toBe(1);
    expect(errorLine(bad)).toMatch(/password/i);
    expectNoSecret(bad, wrong, PW);
  });

  it('a wrong password in the URL: the failure names the address, not the password', async () => {
    const wrong = 'Wrong-Passw0rd-in-url';
    const r = await runCli(['--source', `redis://default:${wrong}@127.0.0.1:${source.port}`, '--target', target.url, '--type', 'full', '--json']);
    expect(r.code).toBe(1);
    expect(errorLine(r)).toContain(`wrong password for user "default" on the source 127.0.0.1:${source.port}`);
    // The hint's placeholder is not taken for a password.
    expect(errorLine(r)).toContain('redis://user:<password>@host:port');
    expectNoSecret(r, wrong, PW);
  });
});
