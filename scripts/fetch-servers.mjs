#!/usr/bin/env node
// Real Redis and Valkey servers of other versions, taken from Debian's own packages and run
// on this machine without installing anything system-wide (issue 14).
//
//   node scripts/fetch-servers.mjs [NAME…]        fetch (cached) and print where each server is
//   node scripts/fetch-servers.mjs --list          the servers it knows, and which are fetched
//
// For each suite it keeps a private apt configuration under the cache directory (its own
// one-line sources list on the mirror this machine's apt sources name, its own lists and
// cache, an empty status file), downloads the server's `.deb` and its libraries with
// `apt-get download`, unpacks them with `dpkg-deb -x` into a private root, and writes
// `<cache>/<name>/server.json` and `<cache>/<name>/bin/<family>-server`: the package's
// `*-check-rdb` binary (which is the server itself) run under the name `*-server` through the
// root's own loader, or, for bullseye whose libc is older than this machine's, through this
// machine's loader with LD_LIBRARY_PATH (its libc6 left out).
//
// The cache directory is DTS_SERVERS_DIR, default `<os tmpdir>/redis-dts-servers` (shared
// by every clone on the machine). A fetched server is never fetched again.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const SERVERS_DIR = process.env.DTS_SERVERS_DIR ?? path.join(os.tmpdir(), 'redis-dts-servers');

const NEW_LIBS = ['libc6', 'libatomic1', 'libjemalloc2', 'liblzf1', 'libssl3t64', 'libstdc++6', 'libgcc-s1',
  'libsystemd0', 'zlib1g', 'libzstd1'];

/**
 * What each server is: the Debian suite and package, the major.minor it must report, and the
 * libraries unpacked beside it. `hostLoader`: run through this machine's loader (older libc).
 * `system`: the machine's own redis-server, when it is that version (bookworm's 7.0).
 */
export const SERVERS = {
  'redis-6.0': { family: 'redis', version: '6.0', suite: 'bullseye', pkg: 'redis-tools', hostLoader: true,
    libs: ['libatomic1', 'libjemalloc2', 'liblzf1', 'libssl1.1', 'liblua5.1-0', 'lua-bitop', 'lua-cjson'] },
  'redis-7.0': { family: 'redis', version: '7.0', suite: 'bookworm', pkg: 'redis-tools', hostLoader: true, system: true,
    libs: ['libatomic1', 'libjemalloc2', 'liblzf1', 'libssl3'] },
  // sid's 8.0.6 first: it propagates HINCRBYFLOAT as HSETEX … KEEPTTL (issue 14); trixie's 8.0.2 once sid moves on.
  'redis-8.0': { family: 'redis', version: '8.0', suite: 'sid', pkg: 'redis-tools', libs: NEW_LIBS, fallback: 'trixie' },
  'redis-8.6': { family: 'redis', version: '8.6', suite: 'experimental', pkg: 'redis-tools/experimental',
    also: ['sid'], libs: NEW_LIBS },
  'valkey-8.0': { family: 'valkey', version: '8.0', suite: 'bookworm-backports', pkg: 'valkey-tools/bookworm-backports',
    also: ['bookworm'], hostLoader: true, libs: ['libatomic1', 'libjemalloc2', 'liblzf1', 'libssl3'] },
  'valkey-8.1': { family: 'valkey', version: '8.1', suite: 'trixie', pkg: 'valkey-tools', libs: NEW_LIBS },
  'valkey-9.1': { family: 'valkey', version: '9.1', suite: 'sid', pkg: 'valkey-tools', libs: NEW_LIBS },
};

/** The servers the compatibility suite runs (npm test). */
export const SUITE_SERVERS = ['redis-6.0', 'redis-7.0', 'redis-8.0', 'valkey-8.1', 'valkey-9.1'];

function run(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (res.error) throw new Error(`${cmd}: ${res.error.message}`);
  if (res.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.status}):\n${(res.stderr || res.stdout).trim().slice(-2000)}`);
  }
  return res.stdout;
}

/** The Debian mirror this machine's own apt sources name (deb822 `.sources` or one-line `.list`). */
export function debianMirror() {
  const files = [];
  const main = '/etc/apt/sources.list';
  if (fs.existsSync(main)) files.push(main);
  const parts = '/etc/apt/sources.list.d';
  if (fs.existsSync(parts)) {
    for (const f of fs.readdirSync(parts).sort()) if (/\.(sources|list)$/.test(f)) files.push(path.join(parts, f));
  }
  for (const file of files) {
    const text = fs.readFileSync(file, 'utf8');
    const uris = [
      ...[...text.matchAll(/^URIs:\s*(.+)$/gim)].flatMap((m) => m[1].trim().split(/\s+/)),
      ...[...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)/gm)].map((m) => m[1]),
    ];
    const mirror = uris.find((u) => /^https?:\/\//.test(u) && /\/debian\/?$/.test(u));
    if (mirror) return mirror.replace(/\/$/, '');
  }
  return 'http://deb.debian.org/debian';
}

const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** The private apt configuration of one suite (plus the suites it needs beside it). */
function aptFor(suite, also = []) {
  const dir = path.join(SERVERS_DIR, 'apt', [suite, ...also].join('+'));
  const lists = path.join(dir, 'lists');
  const cache = path.join(dir, 'cache');
  const empty = path.join(dir, 'empty.d');
  for (const d of [path.join(lists, 'partial'), path.join(cache, 'archives', 'partial'), empty]) fs.mkdirSync(d, { recursive: true });
  const status = path.join(dir, 'status');
  if (!fs.existsSync(status)) fs.writeFileSync(status, '');
  const sources = path.join(dir, 'sources.list');
  const signed = fs.existsSync(KEYRING) ? ` [signed-by=${KEYRING}]` : '';
  const mirror = debianMirror();
  fs.writeFileSync(sources, [suite, ...also].map((s) => `deb${signed} ${mirror} ${s} main\n`).join(''));
  const args = [
    '-q',
    '-o', `Dir::Etc::SourceList=${sources}`,
    '-o', `Dir::Etc::SourceParts=${empty}`,
    '-o', `Dir::Etc::Preferences=${path.join(dir, 'preferences')}`,
    '-o', `Dir::Etc::PreferencesParts=${empty}`,
    '-o', `Dir::State::Lists=${lists}`,
    '-o', `Dir::Cache=${cache}`,
    '-o', `Dir::State::status=${status}`,
    '-o', 'Acquire::Languages=none',
    '-o', 'APT::Sandbox::User=root',
  ];
  const updated = path.join(dir, 'updated');
  return {
    dir,
    mirror,
    update() {
      if (fs.existsSync(updated)) return;
      run('apt-get', [...args, 'update']);
      fs.writeFileSync(updated, new Date().toISOString());
    },
    /** The version `apt-get download` would fetch (the candidate), or undefined. */
    candidate(pkg) {
      const out = spawnSync('apt-cache', [...args, 'policy', pkg.split('/')[0]], { encoding: 'utf8' }).stdout ?? '';
      const m = /Candidate:\s*(\S+)/.exec(out);
      return m && m[1] !== '(none)' ? m[1] : undefined;
    },
    download(pkgs, into) {
      fs.mkdirSync(into, { recursive: true });
      run('apt-get', [...args, 'download', ...pkgs], { cwd: into });
    },
  };
}

function versionOf(cmd, args, env = {}) {
  const out = spawnSync(cmd, [...args, '--version'], { encoding: 'utf8', env: { ...process.env, ...env } });
  const m = /v=(\d+\.\d+\.\d+)/.exec(out.stdout ?? '');
  if (!m) throw new Error(`${cmd} ${args.join(' ')} --version printed no version:\n${out.stdout}${out.stderr}`);
  return m[1];
}

function systemServer(spec) {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' }).stdout.trim();
  if (!found) return undefined;
  const version = versionOf(found, []);
  return version.startsWith(`${spec.version}.`) ? { command: found, args: [], version } : undefined;
}

/** Where a fetched server is described, and whether it is there. */
export function serverFile(name) {
  return path.join(SERVERS_DIR, name, 'server.json');
}

/** Fetches one server (no-op when cached) and returns its description. */
export function fetchServer(name, log = (m) => console.error(m)) {
  const spec = SERVERS[name];
  if (!spec) throw new Error(`unknown server "${name}"; known: ${Object.keys(SERVERS).join(', ')}`);
  const file = serverFile(name);
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8'));
  fs.mkdirSync(path.join(SERVERS_DIR, name), { recursive: true });

  let desc;
  const sys = spec.system ? systemServer(spec) : undefined;
  if (sys) {
    desc = { name, family: spec.family, version: sys.version, command: sys.command, args: [], env: {}, source: 'this machine' };
    const bin = path.join(SERVERS_DIR, name, 'bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(path.join(bin, 'redis-server'), `#!/bin/sh\nexec ${JSON.stringify(sys.command)} "$@"\n`, { mode: 0o755 });
  } else {
    let suite = spec.suite;
    let apt = aptFor(suite, spec.also);
    apt.update();
    // Debian's version without its epoch and revision ("5:8.0.6-3" → "8.0.6").
    const upstream = (v) => v?.replace(/^\d+:/, '').replace(/[-+~].*$/, '');
    if (spec.fallback && !upstream(apt.candidate(spec.pkg))?.startsWith(`${spec.version}.`)) {
      suite = spec.fallback;
      apt = aptFor(suite, []);
      apt.update();
    }
    log(`fetch-servers: ${name}: ${spec.pkg} ${apt.candidate(spec.pkg) ?? '(none)'} from Debian ${suite}`);
    const work = fs.mkdtempSync(path.join(SERVERS_DIR, `${name}.tmp-`));
    try {
      const debs = path.join(work, 'debs');
      apt.download([spec.pkg, ...spec.libs], debs);
      const root = path.join(work, 'root');
      for (const deb of fs.readdirSync(debs).filter((f) => f.endsWith('.deb'))) {
        run('dpkg-deb', ['-x', path.join(debs, deb), root]);
      }
      const debsKept = fs.readdirSync(debs).filter((f) => f.endsWith('.deb')).sort();
      fs.rmSync(debs, { recursive: true, force: true });
      const finalRoot = path.join(SERVERS_DIR, name, 'root');
      fs.rmSync(finalRoot, { recursive: true, force: true });
      fs.renameSync(root, finalRoot);
      const libDir = path.join(finalRoot, 'usr/lib/x86_64-linux-gnu');
      const binary = path.join(finalRoot, 'usr/bin', `${spec.family}-check-rdb`);
      const argv0 = `${spec.family}-server`;
      let command;
      let args;
      let env = {};
      if (spec.hostLoader) {
        command = '/lib64/ld-linux-x86-64.so.2';
        args = ['--argv0', argv0, binary];
        env = { LD_LIBRARY_PATH: libDir };
      } else {
        command = path.join(finalRoot, 'usr/lib64/ld-linux-x86-64.so.2');
        args = ['--library-path', libDir, '--argv0', argv0, binary];
      }
      const loaderArgs = spec.hostLoader ? [] : ['--library-path', libDir];
      const listed = spawnSync(command, [...loaderArgs, '--list', binary], { encoding: 'utf8', env: { ...process.env, ...env } });
      const missing = (listed.stdout ?? '').split('\n').filter((l) => l.includes('not found'));
      if (listed.status !== 0 || missing.length) {
        throw new Error(`${name}: the loader cannot run ${binary}:\n${missing.join('\n') || listed.stderr}`);
      }
      const version = versionOf(command, args, env);
      desc = { name, family: spec.family, version, command, args, env, source: `Debian ${suite} (${apt.mirror})`, debs: debsKept };
      const bin = path.join(SERVERS_DIR, name, 'bin');
      fs.mkdirSync(bin, { recursive: true });
      const envLine = Object.entries(env).map(([k, v]) => `${k}=${JSON.stringify(v)} `).join('');
      fs.writeFileSync(path.join(bin, argv0),
        `#!/bin/sh\nexec env ${envLine}${[command, ...args].map((a) => JSON.stringify(a)).join(' ')} "$@"\n`, { mode: 0o755 });
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  }
  if (!desc.version.startsWith(`${spec.version}.`)) {
    throw new Error(`${name}: Debian's archive has ${spec.family} ${desc.version} now, not ${spec.version}.x (${desc.source})`);
  }
  fs.writeFileSync(file, JSON.stringify(desc, null, 2));
  log(`fetch-servers: ${name}: ${spec.family} ${desc.version} (${desc.source})`);
  return desc;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  if (argv.includes('--list')) {
    for (const [name, spec] of Object.entries(SERVERS)) {
      const fetched = fs.existsSync(serverFile(name)) ? JSON.parse(fs.readFileSync(serverFile(name), 'utf8')) : undefined;
      console.log(`${name.padEnd(11)} Debian ${spec.suite.padEnd(18)} ${spec.pkg.padEnd(32)} ${fetched ? `fetched: ${fetched.version}` : 'not fetched'}`);
    }
    process.exit(0);
  }
  const names = argv.length ? argv : SUITE_SERVERS;
  let failed = 0;
  for (const name of names) {
    try {
      const d = fetchServer(name);
      console.log(`${name}\t${d.version}\t${path.join(SERVERS_DIR, name, 'bin', `${d.family}-server`)}`);
    } catch (err) {
      failed++;
      console.error(`fetch-servers: ${name}: ${err.message}`);
    }
  }
  process.exit(failed ? 1 : 0);
}
