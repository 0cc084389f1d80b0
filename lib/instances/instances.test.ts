/**
 * A registered instance with SSL and a CA certificate: the form keeps and clears the CA,
 * the list names it, and a task endpoint that picks the instance verifies the instance's
 * certificate with it — Test Connection passes against a real self-signed TLS server.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { makeTlsFiles, tlsServerConfig, type TlsFiles } from '@/engine/testing/tls-certificates';
import { freePort, RedisServer } from '@/engine/testing/redis-server';

vi.mock('@/lib/auth/guard', () => import('@/lib/auth/testing/operator-guard'));
vi.mock('next/cache', () => ({ revalidatePath: () => undefined }));

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-instances-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = crypto.randomBytes(32).toString('base64');

const { db } = await import('@/lib/db/client');
const { saveInstanceAction } = await import('./actions');
const { listInstances } = await import('./queries');
const { defaultEndpointInput, resolveEndpoint } = await import('@/lib/tasks/endpoint-input');
const { testConnection } = await import('@/lib/redis');

let files: TlsFiles;
let server: RedisServer;
let tlsPort: number;

beforeAll(async () => {
  files = makeTlsFiles();
  tlsPort = await freePort();
  server = await RedisServer.start({ config: tlsServerConfig(files, tlsPort) });
});
afterAll(async () => {
  await server?.stop();
  files?.cleanup();
  await db().$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

function form(fields: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.set(k, v);
  return f;
}

const base = { instanceId: 'r-tls-1', name: 'tls', region: 'local', databaseType: 'Redis', host: '127.0.0.1', mode: 'standalone', password: '' };

describe('an instance with a CA certificate', () => {
  it('is stored, named, kept when left blank, refused when not PEM, and used by tasks that pick it', async () => {
    const bad = await saveInstanceAction(null, form({ ...base, port: String(tlsPort), encryption: 'ssl', tlsCa: 'not a certificate' }));
    expect(bad).toEqual({ ok: false, errors: { tlsCa: expect.stringMatching(/not a PEM certificate/) } });

    expect(await saveInstanceAction(null, form({ ...base, port: String(tlsPort), encryption: 'ssl', tlsCa: files.pem }))).toMatchObject({ ok: true });
    const [item] = await listInstances('local');
    expect(item).toMatchObject({ instanceId: 'r-tls-1', tls: true, caLabel: expect.stringMatching(/^localhost \(valid until \d{4}-\d\d-\d\d\)$/) });
    expect(await saveInstanceAction(null, form({ ...base, id: item!.id, port: String(tlsPort), encryption: 'ssl', tlsCa: '' }))).toMatchObject({ ok: true });
    expect((await db().instance.findUniqueOrThrow({ where: { id: item!.id } })).tlsCa).toBe(files.pem.trim());

    // A task endpoint that picks the instance: SSL on, no CA of its own.
    const input = { ...defaultEndpointInput('local'), accessMethod: 'cloud' as const, instanceId: 'r-tls-1', dmsInstance: 'r-tls-1', tls: true };
    const resolved = await resolveEndpoint(input);
    if (!resolved.ok) throw new Error(resolved.message);
    expect(resolved.value.stored.tlsCa).toBe(files.pem.trim());
    expect(await testConnection(resolved.value.connection)).toMatchObject({ ok: true });

    // Removing the CA: the self-signed certificate is no longer trusted.
    expect(await saveInstanceAction(null, form({ ...base, id: item!.id, port: String(tlsPort), encryption: 'ssl', clearCa: 'on' }))).toMatchObject({ ok: true });
    const again = await resolveEndpoint(input);
    if (!again.ok) throw new Error(again.message);
    expect(await testConnection(again.value.connection)).toMatchObject({ ok: false, kind: 'certificate' });
  }, 60_000);
});

describe('an instance with a stored password', () => {
  const plain = { ...base, instanceId: 'r-pw-1', port: '6390', encryption: 'plain', password: 'inst-pw-1' };
  it('keeps it only while host, port and encryption stay; tasks use it only as registered', async () => {
    expect(await saveInstanceAction(null, form(plain))).toMatchObject({ ok: true });
    const row = await db().instance.findUniqueOrThrow({ where: { instanceId: 'r-pw-1' } });
    const refusal = { ok: false, errors: { password: 'The address, port, access method or encryption changed since the password was stored: enter the password again. (Or tick Remove the stored password.)' } };
    for (const change of [{ host: '10.9.9.9' }, { port: '6391' }, { encryption: 'ssl' }]) {
      expect(await saveInstanceAction(null, form({ ...plain, id: row.id, password: '', ...change })), JSON.stringify(change)).toEqual(refusal);
    }
    expect((await db().instance.findUniqueOrThrow({ where: { id: row.id } })).port).toBe(6390);
    // Renamed: kept. Moved with the password typed again, or with it removed: saved.
    expect(await saveInstanceAction(null, form({ ...plain, id: row.id, password: '', name: 'renamed' }))).toMatchObject({ ok: true });
    expect(await saveInstanceAction(null, form({ ...plain, id: row.id, port: '6391', password: 'inst-pw-2' }))).toMatchObject({ ok: true });

    // A task side that picks it gets the password only with the encryption it was registered with.
    const side = { ...defaultEndpointInput('local'), accessMethod: 'cloud' as const, instanceId: 'r-pw-1', dmsInstance: 'r-pw-1' };
    const asRegistered = await resolveEndpoint({ ...side, tls: false });
    expect(asRegistered.ok && asRegistered.value).toMatchObject({ credentials: 'stored with the instance', connection: { port: 6391, password: 'inst-pw-2' } });
    expect(await resolveEndpoint({ ...side, tls: true })).toMatchObject({ ok: false, field: 'password', message: expect.stringMatching(/^Instance r-pw-1 was registered without SSL/) });
    expect(await saveInstanceAction(null, form({ ...plain, id: row.id, port: '6391', password: 'inst-pw-2', encryption: 'ssl' }))).toMatchObject({ ok: true });
    expect(await resolveEndpoint({ ...side, tls: false })).toMatchObject({ ok: false, field: 'password', message: expect.stringMatching(/^Instance r-pw-1 was registered with SSL/) });
    expect(await resolveEndpoint({ ...side, tls: true, tlsInsecure: true })).toMatchObject({ ok: false, field: 'password' });
    expect((await resolveEndpoint({ ...side, tls: true, password: 'typed' })).ok).toBe(true);
  });
});
