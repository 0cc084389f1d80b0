#!/usr/bin/env node
// `npm start`: build the console when the sources are newer than the last build,
// then serve it on HOST:PORT (default 127.0.0.1:3000: only this machine; put a TLS
// reverse proxy in front, docs/deployment.md). The database (SQLite, data/dts.db
// unless DATABASE_URL says otherwise) is created and migrated by the server at
// start-up. `--dev` runs the development server instead.
//
// The console is served from this process (Next.js as a custom server) so each
// request carries the socket's peer address in `x-dts-peer`, replacing any a client
// sent: lib/auth/address.ts trusts it, and X-Forwarded-For only from
// DTS_TRUSTED_PROXY_HOPS proxies.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const nextBin = require.resolve('next/dist/bin/next');
const port = process.env.PORT ?? '3000';
const host = process.env.HOST || '127.0.0.1';
/** lib/auth/address.ts PEER_HEADER. */
const PEER_HEADER = 'x-dts-peer';
const dev = process.argv.includes('--dev');

const INPUTS = ['app', 'components', 'lib', 'engine', 'public', 'prisma/schema.prisma', 'instrumentation.ts', 'instrumentation-client.ts', 'proxy.ts',
  'next.config.js', 'postcss.config.mjs', 'tsconfig.json', 'package-lock.json'];

function newestMtime(p) {
  let stat;
  try {
    stat = fs.statSync(p);
  } catch {
    return 0;
  }
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = 0;
  for (const name of fs.readdirSync(p)) {
    if (name === 'generated' || name === 'node_modules' || name.startsWith('.')) continue;
    newest = Math.max(newest, newestMtime(path.join(p, name)));
  }
  return newest;
}

function buildIsCurrent() {
  const buildId = path.join(root, '.next', 'BUILD_ID');
  if (!fs.existsSync(buildId)) return false;
  const built = fs.statSync(buildId).mtimeMs;
  return INPUTS.every((input) => newestMtime(path.join(root, input)) <= built);
}

function run(args) {
  const res = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit', env: process.env });
  if (res.status !== 0) process.exit(res.status ?? 1);
}

if (!fs.existsSync(path.join(root, 'lib', 'generated', 'prisma', 'client.ts'))
  || !fs.existsSync(path.join(root, 'lib', 'generated', 'prisma-postgresql', 'client.ts'))) {
  run([path.join(root, 'scripts', 'prisma-generate.mjs')]);
}

if (!dev && !buildIsCurrent()) {
  console.log('redis-dts: building the console (sources changed since the last build)…');
  run([nextBin, 'build']);
}

if (dev) {
  // The development server is Next's own: no peer header (lib/auth/address.ts falls back to X-Forwarded-For).
  const server = spawn(process.execPath, [nextBin, 'dev', '-H', host, '-p', port], { cwd: root, stdio: 'inherit', env: process.env });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
  server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  process.env.NODE_ENV = 'production';
  process.env.DTS_PEER_HEADER = '1';
  const { default: next } = await import('next');
  const app = next({ dev: false, dir: root, hostname: host, port: Number(port) });
  const handle = app.getRequestHandler();
  await app.prepare();
  const server = http.createServer((req, res) => {
    req.headers[PEER_HEADER] = req.socket.remoteAddress ?? 'unknown';
    void handle(req, res);
  });
  server.on('error', (err) => {
    console.error(`redis-dts: cannot listen on ${host}:${port}: ${err.message}`);
    process.exit(1);
  });
  server.listen(Number(port), host, () => {
    console.log(`redis-dts: console listening on http://${host.includes(':') ? `[${host}]` : host}:${port}`);
  });
}
