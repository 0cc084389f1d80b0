#!/usr/bin/env node
// `npm test`: the whole suite. Type check, unit + integration tests (Vitest,
// against real redis-server processes), then browser tests (Playwright in
// Debian's Chromium against a production build of the console).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const bin = (name) => path.join(root, 'node_modules', '.bin', name);

function onPath(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

const missing = [];
if (!onPath('redis-server') || !onPath('redis-cli')) missing.push('redis-server');
const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!fs.existsSync(chromium)) missing.push('chromium');
if (missing.length) {
  console.error(`npm test needs the Debian package(s): ${missing.join(', ')}`);
  console.error(`Install them with: apt-get update && apt-get install -y ${missing.join(' ')}`);
  process.exit(2);
}

const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-dts-test-'));
const tally = { passed: 0, failed: 0, skipped: 0 };

function step(title, cmd, args, env = {}) {
  console.log(`\n=== ${title} ===`);
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
  return res.status === 0;
}

function countVitest(file) {
  try {
    const r = JSON.parse(fs.readFileSync(file, 'utf8'));
    tally.passed += r.numPassedTests;
    tally.failed += r.numFailedTests;
    tally.skipped += r.numPendingTests + r.numTodoTests;
  } catch {
    tally.failed += 1;
  }
}

function countPlaywright(file) {
  try {
    const s = JSON.parse(fs.readFileSync(file, 'utf8')).stats;
    tally.passed += s.expected + s.flaky;
    tally.failed += s.unexpected;
    tally.skipped += s.skipped;
  } catch {
    tally.failed += 1;
  }
}

let ok = step('type check', bin('tsc'), ['--noEmit', '-p', '.']);

const vitestJson = path.join(reports, 'vitest.json');
ok = step('unit and integration tests (vitest)', bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${vitestJson}`]) && ok;
countVitest(vitestJson);

const pwJson = path.join(reports, 'playwright.json');
ok = step('browser tests (playwright + chromium)', bin('playwright'), ['test', '--reporter=list,json'],
  { PLAYWRIGHT_JSON_OUTPUT_NAME: pwJson }) && ok;
countPlaywright(pwJson);

fs.rmSync(reports, { recursive: true, force: true });
console.log(`\n${tally.passed} passed, ${tally.failed} failed${tally.skipped ? `, ${tally.skipped} skipped` : ''}`);
process.exit(ok && tally.failed === 0 ? 0 : 1);
