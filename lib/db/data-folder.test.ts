/**
 * The data folder (issue 16, row 13): the console's start-up creates it 0700 and the SQLite database
 * (and its WAL files) 0600, so the stored records are not readable by other users of the machine —
 * as the keys beside them never were. An install an earlier version left open is tightened.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-data-folder-'));
const folder = path.join(root, 'fresh', 'data');
process.env.DATABASE_URL = `file:${path.join(folder, 'dts.db')}`;
delete process.env.DTS_DATA_DIR;
delete process.env.DTS_SECRET_KEY;

const { boot } = await import('@/lib/engine/boot');
const { db } = await import('./client');
const { privateDatabaseFile, privateDirectory } = await import('./url');
const { secretKey } = await import('@/lib/secrets/key');
const { engineManager } = await import('@/lib/engine/manager');

afterAll(async () => {
  await engineManager().shutdown();
  await db().$disconnect();
  fs.rmSync(root, { recursive: true, force: true });
});

const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('the data folder', () => {
  it('start-up creates the folder 0700 and the database 0600; keys and spool go inside it', async () => {
    await boot();
    expect(mode(folder)).toBe(0o700);
    const files = fs.readdirSync(folder).filter((f) => f.startsWith('dts.db'));
    expect(files).toContain('dts.db');
    for (const f of files) expect(mode(path.join(folder, f)), f).toBe(0o600);
    secretKey();
    expect(mode(path.join(folder, 'secret.key'))).toBe(0o600);
    expect(path.relative(folder, engineManager().spoolDir('t1'))).toBe(path.join('spool', 't1'));
  });

  it('a folder and database left open by an earlier version (0755, 0644) are restricted to their owner', () => {
    const old = path.join(root, 'old');
    fs.mkdirSync(old, { mode: 0o755 });
    fs.chmodSync(old, 0o755);
    const file = path.join(old, 'dts.db');
    for (const f of [file, `${file}-wal`]) {
      fs.writeFileSync(f, '');
      fs.chmodSync(f, 0o644);
    }
    privateDirectory(old);
    privateDatabaseFile(file);
    expect(mode(old)).toBe(0o700);
    expect(mode(file)).toBe(0o600);
    expect(mode(`${file}-wal`)).toBe(0o600);
  });

  it('a shared folder (sticky and writable by everyone, like /tmp) is left as it is', () => {
    const shared = path.join(root, 'shared');
    fs.mkdirSync(shared);
    fs.chmodSync(shared, 0o1777);
    privateDirectory(shared);
    expect(fs.statSync(shared).mode & 0o7777).toBe(0o1777);
  });
});
