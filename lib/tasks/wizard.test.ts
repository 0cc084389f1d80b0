/**
 * The wizard's server side against real servers and a scratch database: option
 * defaults, saving a task with its password encrypted, and a precheck run that
 * fails, is ignored, and passes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClientCertificate, makeTlsFiles, tlsServerConfig } from '@/engine/testing/tls-certificates';
import { freePort, RedisServer } from '@/engine/testing/redis-server';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-wizard-'));
process.env.DATABASE_URL = `file:${path.join(dir, 'dts.db')}`;
process.env.DTS_SECRET_KEY = crypto.randomBytes(32).toString('base64');

const { db } = await import('@/lib/db/client');
const { DEFAULT_ADVANCED, DEFAULT_VERIFICATION, advancedSchema, withAdvanced } = await import('./options');
const { newTaskDraft } = await import('./draft');
const { saveTaskSettings, loadTaskDraft } = await import('./service');
const { startPrecheck, precheckRun, readPrecheck, ignorePrecheckItem, PrecheckError } = await import('./precheck');
const { decryptSecret } = await import('@/lib/secrets');
const { resolveEndpoint } = await import('./endpoint-input');
const { endpointSchema } = await import('./endpoint');
const { testConnection } = await import('@/lib/redis');

let source: RedisServer;
let target: RedisServer;

beforeAll(async () => {
  source = await RedisServer.start({ password: 's3cret-pw' });
  target = await RedisServer.start();
  const t = target.client();
  await t.set('taken', '1');
  t.disconnect();
});

afterAll(async () => {
  await source?.stop();
  await target?.stop();
  await db().$disconnect();
  fs.rmSync(dir, { recursive: true, force: true });
});

function draftFor() {
  const d = newTaskDraft('local');
  d.name = 'unit-wizard';
  d.source = { ...d.source, host: '127.0.0.1', port: source.port, password: 's3cret-pw' };
  d.target = { ...d.target, host: '127.0.0.1', port: target.port };
  d.objects = { dbs: [{ db: 0, targetDb: 0 }], keyPrefixes: { include: [], exclude: [] } };
  return d;
}

describe('task options', () => {
  it('default to PRODUCT.md and enforce its ranges', () => {
    expect(DEFAULT_ADVANCED).toMatchObject({ retryConnectionMinutes: 720, retryOtherMinutes: 10, ttlExtensionSeconds: 0, useSlaveNode: false,
      fullThrottle: { enabled: false }, incrementalThrottle: { enabled: false }, environmentTag: '', monitoring: { enabled: false } });
    expect(DEFAULT_VERIFICATION).toMatchObject({ full: { enabled: true, mode: 'full' }, incremental: { enabled: false } });
    const bad = advancedSchema.safeParse({ retryConnectionMinutes: 30, retryOtherMinutes: 30 });
    expect(bad.success).toBe(false);
    expect(advancedSchema.safeParse({ retryConnectionMinutes: 5 }).success).toBe(false);
  });
});

describe('the Read Method', () => {
  it('is Replication by default; choosing Scan switches Incremental Data Verification on, which may be switched off again', () => {
    const draft = newTaskDraft('local');
    expect(draft.advanced.readMethod).toBe('replication');
    expect(draft.verification.incremental.enabled).toBe(false);
    const scan = withAdvanced(draft, { ...draft.advanced, readMethod: 'scan' });
    expect(scan.verification.incremental.enabled).toBe(true);
    const off = { ...scan, verification: { ...scan.verification, incremental: { enabled: false } } };
    // Another advanced change keeps the user's choice.
    expect(withAdvanced(off, { ...off.advanced, ttlExtensionSeconds: 5 }).verification.incremental.enabled).toBe(false);
    expect(advancedSchema.safeParse({ readMethod: 'psync' }).success).toBe(false);
  });
});

describe('saving and prechecking a task', () => {
  it('stores the task Not Started with the password encrypted and never returns it', async () => {
    const saved = await saveTaskSettings(draftFor());
    if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
    const row = await db().task.findUniqueOrThrow({ where: { id: saved.taskId } });
    expect(row.status).toBe('NotStarted');
    expect(row.source).not.toContain('s3cret-pw');
    expect(decryptSecret(JSON.parse(row.source).passwordEnc)).toBe('s3cret-pw');
    const loaded = await loadTaskDraft(saved.taskId);
    expect(loaded?.draft.source.password).toBe('');
    expect(loaded?.draft.source.keepStoredPassword).toBe(true);
    expect(JSON.stringify(loaded)).not.toContain('s3cret-pw');
  });

  it('rejects an invalid draft with field errors', async () => {
    const d = draftFor();
    d.source.host = '';
    d.objects.dbs = [];
    const r = await saveTaskSettings(d);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.errors['source.host']).toMatch(/host/);
      expect(r.errors['objects.dbs']).toMatch(/at least one DB/);
    }
  });

  it('refuses Replication relay for a cluster destination, naming why (a cluster node refuses REPLICAOF)', async () => {
    const d = draftFor();
    d.target = { ...d.target, mode: 'cluster' };
    d.advanced = { ...d.advanced, writeMethod: 'relay' };
    expect(await saveTaskSettings(d)).toEqual({ ok: false, errors: { 'advanced.writeMethod': expect.stringMatching(/cluster mode.*REPLICAOF not allowed in cluster mode.*Choose Commands/) } });
  });

  it('runs the precheck: Precheck Failed on an occupied destination, Precheck Passed once the item is ignored', async () => {
    const saved = await saveTaskSettings(draftFor());
    if (!saved.ok) throw new Error('save failed');
    await startPrecheck(saved.taskId);
    expect((await db().task.findUniqueOrThrow({ where: { id: saved.taskId } })).status).toBe('Prechecking');
    await precheckRun(saved.taskId);
    const view = await readPrecheck(saved.taskId);
    expect(view?.status).toBe('PrecheckFailed');
    expect(view?.summary).toMatchObject({ finished: true, failed: 1, blocking: 1, canProceed: false, total: 11 });
    await expect(ignorePrecheckItem(saved.taskId, 'source-connectivity')).rejects.toBeInstanceOf(PrecheckError);
    await ignorePrecheckItem(saved.taskId, 'target-existence');
    const after = await readPrecheck(saved.taskId);
    expect(after?.status).toBe('PrecheckPassed');
    expect(after?.summary.canProceed).toBe(true);
    const logs = await db().taskLog.findMany({ where: { taskId: saved.taskId } });
    expect(logs.map((l) => l.message)).toContain('precheck item ignored by the user: Destination Object Data Existence Check');
  });

  it('keeps the stored password when the settings are saved again without retyping it', async () => {
    const saved = await saveTaskSettings(draftFor());
    if (!saved.ok) throw new Error('save failed');
    const loaded = await loadTaskDraft(saved.taskId);
    const again = await saveTaskSettings({ ...loaded!.draft, name: 'renamed' });
    expect(again.ok).toBe(true);
    const row = await db().task.findUniqueOrThrow({ where: { id: saved.taskId } });
    expect(row.name).toBe('renamed');
    expect(decryptSecret(JSON.parse(row.source).passwordEnc)).toBe('s3cret-pw');
  });

  it('keeps a stored password only for the endpoint it was entered for', async () => {
    const saved = await saveTaskSettings(draftFor());
    if (!saved.ok) throw new Error('save failed');
    const { draft } = (await loadTaskDraft(saved.taskId))!;
    const existing = endpointSchema.parse(JSON.parse((await db().task.findUniqueOrThrow({ where: { id: saved.taskId } })).source));
    const refusal = { ok: false, field: 'password', message: 'The address, port, access method or encryption changed since the password was stored: enter the password again.' };
    for (const change of [{ host: '127.0.0.2' }, { port: source.port + 1 }, { tls: true }, { tls: true, tlsInsecure: true }]) {
      expect(await resolveEndpoint({ ...draft.source, ...change }, existing), JSON.stringify(change)).toEqual(refusal);
    }
    expect(await saveTaskSettings({ ...draft, source: { ...draft.source, host: 'localhost' } })).toEqual({ ok: false, errors: { 'source.password': refusal.message } });
    // Unchanged: kept; a password typed again: used for the new place.
    const same = await resolveEndpoint(draft.source, existing);
    expect(same.ok && same.value.credentials).toBe('stored with the task');
    const typed = await resolveEndpoint({ ...draft.source, host: 'localhost', password: 'another-pw' }, existing);
    expect(typed.ok && typed.value.connection.password).toBe('another-pw');
  });

  it('stores a CA Certificate, shows which one without the PEM, keeps it on a later save, and refuses other text', async () => {
    const files = makeTlsFiles();
    try {
      const d = draftFor();
      d.target = { ...d.target, tls: true, tlsCa: 'not a certificate' };
      const junk = await saveTaskSettings(d);
      expect(junk.ok || junk.errors['target.tlsCa']).toMatch(/^CA Certificate: this is not a PEM certificate; paste the CA certificate as text/);
      d.target.tlsCa = fs.readFileSync(files.key, 'utf8');
      const key = await saveTaskSettings(d);
      expect(key.ok || key.errors['target.tlsCa']).toMatch(/^CA Certificate: this is a private key, not a certificate/);

      d.target.tlsCa = files.pem;
      const saved = await saveTaskSettings(d);
      if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
      const stored = () => db().task.findUniqueOrThrow({ where: { id: saved.taskId } }).then((r) => JSON.parse(r.target));
      expect(await stored()).toMatchObject({ tls: true, tlsCa: files.pem, tlsInsecure: false });
      const loaded = (await loadTaskDraft(saved.taskId))!;
      expect(loaded.draft.target).toMatchObject({ tlsCa: '', keepStoredCa: true, tlsInsecure: false });
      expect(loaded.draft.target.storedCa).toMatch(/^localhost \(valid until \d{4}-\d\d-\d\d\)$/);
      expect(JSON.stringify(loaded)).not.toContain('BEGIN CERTIFICATE');

      expect((await saveTaskSettings(loaded.draft)).ok).toBe(true);
      expect((await stored()).tlsCa).toBe(files.pem);
      // Skipping verification (or turning SSL off) leaves no CA behind.
      expect((await saveTaskSettings({ ...loaded.draft, target: { ...loaded.draft.target, tlsInsecure: true } })).ok).toBe(true);
      expect(await stored()).toMatchObject({ tls: true, tlsInsecure: true });
      expect((await stored()).tlsCa).toBeUndefined();
    } finally {
      files.cleanup();
    }
  });

  it('stores a client certificate with its key only encrypted, shows which one without either PEM, and keeps or removes it', async () => {
    const files = makeTlsFiles();
    try {
      const client = makeClientCertificate(files);
      const other = makeClientCertificate(files, 'someone-else');
      const d = draftFor();
      const errorsOf = async (target: Partial<typeof d.target>) => {
        const r = await saveTaskSettings({ ...d, target: { ...d.target, tls: true, tlsCa: files.pem, ...target } });
        return r.ok ? {} : r.errors;
      };
      expect(await errorsOf({ tlsCert: client.cert })).toEqual({
        'target.tlsKey': 'Client Private Key: paste the private key of the Client Certificate (both or neither).' });
      expect(await errorsOf({ tlsKey: client.key })).toEqual({
        'target.tlsCert': 'Client Certificate: paste the certificate that goes with the Client Private Key (both or neither).' });
      expect((await errorsOf({ tlsCert: client.cert, tlsKey: other.key }))['target.tlsKey'])
        .toBe('Client Private Key: this key does not belong to the Client Certificate; paste the private key the certificate was issued for.');
      expect((await errorsOf({ tlsCert: client.key, tlsKey: client.key }))['target.tlsCert']).toMatch(/^Client Certificate: this is a private key, not a certificate/);
      expect((await errorsOf({ tlsCert: client.cert, tlsKey: client.cert }))['target.tlsKey']).toMatch(/^Client Private Key: this is a certificate, not a private key/);
      for (const type of ['pkcs8', 'pkcs1'] as const) {
        const sealed = crypto.createPrivateKey(client.key).export({ type, format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret' }).toString();
        expect((await errorsOf({ tlsCert: client.cert, tlsKey: sealed }))['target.tlsKey'])
          .toMatch(/^Client Private Key: the key is protected by a passphrase; paste it without one/);
      }
      expect((await errorsOf({ tlsCert: client.cert, tlsKey: 'junk' }))['target.tlsKey']).toMatch(/^Client Private Key: this is not a PEM private key/);

      d.target = { ...d.target, tls: true, tlsCa: files.pem, tlsCert: client.cert, tlsKey: client.key };
      const saved = await saveTaskSettings(d);
      if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
      const row = () => db().task.findUniqueOrThrow({ where: { id: saved.taskId } });
      const stored = async () => JSON.parse((await row()).target);
      const keyBody = client.key.split('\n')[1];
      expect((await row()).target).not.toContain(keyBody);
      expect(await stored()).toMatchObject({ tlsCert: client.cert, tlsKeyEnc: expect.stringMatching(/^v1:/) });
      expect(decryptSecret((await stored()).tlsKeyEnc)).toBe(client.key);

      const loaded = (await loadTaskDraft(saved.taskId))!;
      expect(loaded.draft.target).toMatchObject({ tlsCert: '', tlsKey: '', keepStoredClientCert: true });
      expect(loaded.draft.target.storedClientCert).toMatch(/^dts-client, valid until \d{4}-\d\d-\d\d$/);
      expect(JSON.stringify(loaded)).not.toContain(keyBody);
      expect(JSON.stringify(loaded)).not.toContain('PRIVATE KEY');

      // Saved again untouched: the same pair; a new certificate needs its key; Remove drops both.
      expect((await saveTaskSettings(loaded.draft)).ok).toBe(true);
      expect(await stored()).toMatchObject({ tlsCert: client.cert });
      expect(decryptSecret((await stored()).tlsKeyEnc)).toBe(client.key);
      // Pointed elsewhere, the stored key is not presented: it must be pasted again.
      const moved = await saveTaskSettings({ ...loaded.draft, target: { ...loaded.draft.target, port: loaded.draft.target.port + 1 } });
      expect(moved.ok || moved.errors['target.tlsKey']).toBe('The address, port, access method or encryption changed since the client private key was stored: enter the client private key again.');
      const replaced = await saveTaskSettings({ ...loaded.draft, target: { ...loaded.draft.target, tlsCert: other.cert } });
      expect(replaced.ok || replaced.errors['target.tlsKey']).toMatch(/both or neither/);
      expect((await saveTaskSettings({ ...loaded.draft, target: { ...loaded.draft.target, keepStoredClientCert: false } })).ok).toBe(true);
      expect((await stored()).tlsCert).toBeUndefined();
      expect((await stored()).tlsKeyEnc).toBeUndefined();
    } finally {
      files.cleanup();
    }
  });

  it('a destination with tls-auth-clients yes: Test Connection and the precheck fail without the client certificate and pass with it', async () => {
    const files = makeTlsFiles();
    const port = await freePort();
    const server = await RedisServer.start({ config: tlsServerConfig(files, port, { authClients: true }) });
    try {
      const client = makeClientCertificate(files);
      const d = draftFor();
      d.target = { ...d.target, port, tls: true, tlsCa: files.pem };
      const without = await resolveEndpoint(d.target);
      if (!without.ok) throw new Error(without.message);
      const refused = await testConnection({ ...without.value.connection, timeoutMs: 2000 });
      expect(refused).toMatchObject({ ok: false, kind: 'client-certificate', message: `127.0.0.1:${port} requires a client certificate (tls-auth-clients).` });

      d.target = { ...d.target, tlsCert: client.cert, tlsKey: client.key };
      const withCert = await resolveEndpoint(d.target);
      if (!withCert.ok) throw new Error(withCert.message);
      expect(await testConnection(withCert.value.connection)).toMatchObject({ ok: true });

      const saved = await saveTaskSettings(d);
      if (!saved.ok) throw new Error(JSON.stringify(saved.errors));
      await startPrecheck(saved.taskId);
      await precheckRun(saved.taskId);
      const items = (await readPrecheck(saved.taskId))!.doc!.items;
      expect(items.find((i) => i.id === 'target-connectivity')).toMatchObject({ status: 'passed' });
      expect(items.find((i) => i.id === 'target-connectivity')?.details)
        .toContain('Encryption: SSL, certificate verified with the CA certificate given, client certificate presented.');
    } finally {
      await server.stop();
      files.cleanup();
    }
  });
});
