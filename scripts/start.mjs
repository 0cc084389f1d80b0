#!/usr/bin/env node
// `npm start`: build the console when the sources are newer than the last build,
// then serve it on PORT (default 3000). The database (SQLite, data/dts.db unless
// DATABASE_URL says otherwise) is created and migrated by the server at start-up.
// `--dev` runs the development server instead.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
const nextBin = require.resolve('next/dist/bin/next');
const port = process.env.PORT ?? '3000';
const dev = process.argv.includes('--dev');

const INPUTS = ['app', 'components', 'lib', 'engine', 'public', 'prisma/schema.prisma', 'instrumentation.ts', 'proxy.ts',
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

const server = spawn(process.execPath, [nextBin, dev ? 'dev' : 'start', '-p', port], {
  cwd: root,
  stdio: 'inherit',
  env: process.env,
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
