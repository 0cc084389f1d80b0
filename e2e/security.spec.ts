/**
 * The attacks of issue 16 (console rows 1–9 and its "Also:" line), each made
 * against the real console over HTTP (or in Chromium) and seen refused:
 * stored credentials sent to another host, a live stream outliving its session,
 * the network the console listens on and TLS settings, the sign-in `next`
 * redirect, forged addresses and the throttle, login CSRF, a viewer's plain POST
 * to a page, the audit of Test Connection and failed sign-ins, the security
 * headers (and that the console's own pages pass its CSP), Change Password
 * guessing, unbounded fields and what /api/health tells a stranger.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, test, type Browser } from '@playwright/test';
import { freePort, RedisServer } from '../engine/testing/redis-server';
import { startSilentServer, type SilentServer } from '../engine/testing/silent-server';
import { hashPassword } from '../lib/auth/password';
import { createDb, type PrismaClient } from '../lib/db/client';
import { newTaskDraft } from '../lib/tasks/draft';
import { builtActions, callAction, signInCookie, type BuiltAction } from './testing/app-routes';
import { ROOT, startConsoleProcess, stopConsoleProcess, type ConsoleProcess } from './testing/console-server';

const BASE = process.env.E2E_BASE_URL!;
const ADMIN_PW = process.env.E2E_ADMIN_PASSWORD!;
const PW = 'sec-spec-pw-0001';
const USERS = {
  operator: 'sec-operator', viewer: 'sec-viewer', streamer: 'sec-streamer', locked: 'sec-locked', changer: 'sec-changer',
  attacker: 'sec-attacker', mustChange: 'sec-must-change',
} as const;
const EDITABLE = 'dtse2esec00001';

let prisma: PrismaClient;
const REDIS_PW = `real-server-pw-${crypto.randomBytes(4).toString('hex')}`;
/** The source (with a password) and a destination without one. */
let redis: RedisServer;
let destination: RedisServer;
let listener: SilentServer;
let operatorCookie = '';

// In file order (one worker); each test stands on its own, so one failing does not hide the others.

test.beforeAll(async () => {
  prisma = createDb(process.env.E2E_DATABASE_FILE!);
  const hash = await hashPassword(PW);
  for (const [key, username] of Object.entries(USERS)) {
    const role = key === 'viewer' ? 'viewer' : key === 'operator' || key === 'mustChange' ? 'operator' : 'viewer';
    await prisma.user.upsert({ where: { username }, update: { passwordHash: hash, disabled: false },
      create: { username, role, passwordHash: hash, mustChangePassword: key === 'mustChange' } });
  }
  await prisma.task.upsert({ where: { id: EDITABLE }, update: {}, create: {
    id: EDITABLE, name: 'sec-editable', region: 'local', status: 'NotStarted',
    source: JSON.stringify({ host: '127.0.0.1', port: 1, authMethod: 'password-free' }),
    target: JSON.stringify({ host: '127.0.0.1', port: 2, authMethod: 'password-free' }) } });
  [redis, destination] = await Promise.all([RedisServer.start({ password: REDIS_PW }), RedisServer.start()]);
  // The operator's own host: answers every command with an error and keeps what it was sent.
  listener = await startSilentServer({ reply: '-ERR not a redis server\r\n' });
  operatorCookie = await signInCookie(BASE, USERS.operator, PW);
});

test.afterAll(async () => {
  await prisma?.task.deleteMany({ where: { name: { startsWith: 'sec-' } } });
  await prisma?.instance.deleteMany({ where: { instanceId: { startsWith: 'r-sec-' } } });
  await prisma?.user.deleteMany({ where: { username: { in: Object.values(USERS) } } });
  await prisma?.$disconnect();
  await Promise.all([redis?.stop(), destination?.stop()]);
  await listener?.close();
});

function action(name: string): BuiltAction {
  const a = builtActions().find((x) => x.name === name);
  if (!a) throw new Error(`no built action ${name}`);
  return a;
}

function formOf(fields: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}

/** A saved task whose source has a stored password, made through the wizard's own action. */
async function savedTaskWithPassword(name: string, password: string): Promise<string> {
  const draft = newTaskDraft('local');
  draft.name = name;
  draft.source = { ...draft.source, host: '127.0.0.1', port: redis.port, password };
  draft.target = { ...draft.target, host: '127.0.0.1', port: destination.port, authMethod: 'password-free' };
  draft.objects = { dbs: [{ db: 0, targetDb: 1 }], keyPrefixes: { include: [], exclude: [] } };
  const res = await callAction(BASE, action('saveTaskAction'), '/sync-tasks/new', [draft], operatorCookie);
  const id = /"taskId":"(dts[a-z0-9]+)"/.exec(res.text)?.[1];
  if (!id) throw new Error(`saving the task failed: ${res.text.slice(0, 500)}`);
  return id;
}

async function testConnections(step: unknown): Promise<string> {
  const res = await callAction(BASE, action('testConnectionsAction'), '/sync-tasks/new', [step], operatorCookie);
  expect(res.status).toBe(200);
  return res.text;
}

test.describe('row 1: a stored secret goes only to the endpoint it was entered for', () => {
  test('Test Connection with a saved task, another host and "keep stored password" is refused, and audited when it connects', async () => {
    const secret = REDIS_PW;
    const id = await savedTaskWithPassword('sec-keep-pw', secret);
    const draft = newTaskDraft('local');
    const step = {
      taskId: id, region: 'local', name: 'sec-keep-pw',
      source: { ...draft.source, host: '127.0.0.1', port: listener.port, password: '', keepStoredPassword: true },
      target: { ...draft.target, host: '127.0.0.1', port: destination.port, authMethod: 'password-free' },
    };
    const text = await testConnections(step);
    expect(listener.received(), 'the stored password reached the other host').not.toContain(secret);
    expect(text).toContain('enter the password again');

    // At its own host the stored password still works, and the Test Connection is in the audit trail.
    const own = await testConnections({ ...step, source: { ...step.source, port: redis.port } });
    expect(own).toContain('"ok":true');
    const rows = await prisma.auditLog.findMany({ where: { action: 'task.test-connection', targetId: id } });
    expect(rows.map((r) => r.detail).join('\n')).toContain(`source 127.0.0.1:${redis.port} (password stored with the task): connected`);
    expect(rows.every((r) => r.username === USERS.operator && r.address === '127.0.0.1')).toBe(true);
  });

  test('an instance moved to another host keeps no password; its password is not sent without SSL', async () => {
    const secret = `inst-secret-${crypto.randomBytes(4).toString('hex')}`;
    const save = (fields: Record<string, string>) => callAction(BASE, action('saveInstanceAction'), '/instances',
      [null, formOf({ region: 'local', databaseType: 'Redis', mode: 'standalone', name: '', host: '127.0.0.1', ...fields })], operatorCookie);
    expect((await save({ instanceId: 'r-sec-move', port: String(redis.port), password: secret, encryption: 'plain' })).text).toContain('registered');
    const inst = await prisma.instance.findUniqueOrThrow({ where: { instanceId: 'r-sec-move' } });
    const moved = await save({ id: inst.id, instanceId: 'r-sec-move', port: String(listener.port), password: '', encryption: 'plain' });
    expect(moved.text).toContain('enter the password again');
    expect((await prisma.instance.findUniqueOrThrow({ where: { id: inst.id } })).port).toBe(redis.port);

    // Registered with SSL: a wizard with Encryption off does not get its password (it would go in clear text).
    expect((await save({ instanceId: 'r-sec-ssl', port: String(listener.port), password: secret, encryption: 'ssl' })).text).toContain('registered');
    const draft = newTaskDraft('local');
    const text = await testConnections({
      region: 'local', name: 'sec-ssl-off',
      source: { ...draft.source, accessMethod: 'cloud', instanceId: 'r-sec-ssl', dmsInstance: 'r-sec-ssl', tls: false },
      target: { ...draft.target, host: '127.0.0.1', port: destination.port, authMethod: 'password-free' },
    });
    expect(listener.received()).not.toContain(secret);
    expect(text).toContain('its stored password is sent only that way');
  });
});

test.describe('row 2: a live events stream ends with its session', () => {
  async function openStream(cookie: string) {
    const res = await fetch(`${BASE}/api/tasks/${EDITABLE}/events`, { headers: { Cookie: cookie } });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('event: snapshot')) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended before its snapshot');
      text += new TextDecoder().decode(value);
    }
    return reader;
  }
  async function untilEnd(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<void> {
    for (;;) if ((await reader.read()).done) return;
  }

  test('signed out: the open stream closes', async () => {
    const cookie = await signInCookie(BASE, USERS.streamer, PW);
    const reader = await openStream(cookie);
    const out = await fetch(`${BASE}/api/auth/sign-out`, { method: 'POST', headers: { Cookie: cookie }, redirect: 'manual' });
    expect(out.status).toBe(303);
    await untilEnd(reader);
  });

  test('user disabled: the open stream closes', async () => {
    const cookie = await signInCookie(BASE, USERS.streamer, PW);
    const reader = await openStream(cookie);
    await prisma.user.update({ where: { username: USERS.streamer }, data: { disabled: true } });
    try {
      await untilEnd(reader);
    } finally {
      await prisma.user.update({ where: { username: USERS.streamer }, data: { disabled: false } });
    }
  });
});

test.describe('row 3: where the console listens, and TLS', () => {
  test('npm start listens on 127.0.0.1 only by default', async () => {
    const port = Number(new URL(BASE).port);
    const external = Object.values(os.networkInterfaces()).flat().find((i) => i && i.family === 'IPv4' && !i.internal)?.address ?? '::1';
    const error = await new Promise<string>((resolve) => {
      const s = net.connect({ host: external, port }, () => { s.destroy(); resolve('connected'); });
      s.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    });
    expect(error, `${external}:${port}`).toBe('ECONNREFUSED');
  });

  test('without DTS_HTTPS: no Secure cookie and no HSTS, whatever X-Forwarded-Proto says', async () => {
    const res = await fetch(`${BASE}/api/auth/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Forwarded-Proto': 'https' },
      body: JSON.stringify({ username: USERS.viewer, password: PW }) });
    expect(res.status).toBe(200);
    expect(res.headers.get('set-cookie')).not.toMatch(/;\s*secure/i);
    expect((await fetch(`${BASE}/sign-in`)).headers.get('strict-transport-security')).toBeNull();
  });

  test.describe('a console behind one TLS proxy (DTS_HTTPS=1, DTS_TRUSTED_PROXY_HOPS=1)', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-dts-sec-tls-'));
    const dbFile = path.join(dir, 'dts.db');
    let server: ConsoleProcess | undefined;
    let base = '';
    test.beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      server = await startConsoleProcess(base, [path.join(ROOT, 'scripts', 'start.mjs')], {
        ...process.env, PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: `file:${dbFile}`, DTS_ADMIN_PASSWORD: ADMIN_PW,
        DTS_SESSION_SECRET: crypto.randomBytes(32).toString('base64'), DTS_HTTPS: '1', DTS_TRUSTED_PROXY_HOPS: '1',
      });
    });
    test.afterAll(async () => {
      await stopConsoleProcess(server);
      fs.rmSync(dir, { recursive: true, force: true });
    });

    test('the cookie is Secure, HSTS is sent, the address is the one the proxy saw', async () => {
      const res = await fetch(`${base}/api/auth/sign-in`, { method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-Forwarded-For': '203.0.113.66, 198.51.100.9' },
        body: JSON.stringify({ username: 'admin', password: ADMIN_PW }) });
      expect(res.status, await res.clone().text()).toBe(200);
      expect(res.headers.get('set-cookie')).toMatch(/;\s*secure/i);
      expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
      expect((await fetch(`${base}/sign-in`)).headers.get('strict-transport-security')).toMatch(/max-age=\d{7,}/);
      const db = createDb(dbFile);
      try {
        const session = await db.session.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
        // One trusted hop: the entry the proxy appended, not the one the client wrote before it.
        expect(session.address).toBe('198.51.100.9');
      } finally {
        await db.$disconnect();
      }
    });
  });
});

test.describe('row 4: sign-in follows `next` only within the console', () => {
  const HOSTILE = ['/\\evil.example', '//evil.example', '/\t/evil.example', '/\\/evil.example', 'https://evil.example/', '/.//evil.example', '/%09/evil.example'];

  test('the sign-in route answers a same-origin path for each hostile next', async () => {
    for (const next of HOSTILE) {
      const res = await fetch(`${BASE}/api/auth/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ username: USERS.viewer, password: PW, next }) });
      const body = (await res.json()) as { next: string };
      expect(new URL(body.next, BASE).origin, JSON.stringify(next)).toBe(new URL(BASE).origin);
    }
  });

  test('the sign-in page, signed in already, redirects within the console', async () => {
    const cookie = await signInCookie(BASE, USERS.viewer, PW);
    for (const next of HOSTILE) {
      const res = await fetch(`${BASE}/sign-in?next=${encodeURIComponent(next)}`, { headers: { Cookie: cookie }, redirect: 'manual' });
      expect(res.status, JSON.stringify(next)).toBe(307);
      expect(new URL(res.headers.get('location')!, BASE).origin, JSON.stringify(next)).toBe(new URL(BASE).origin);
    }
  });

  test('in the browser: after sign-in with next=/\\evil.example the console is still on its own origin', async ({ browser }) => {
    const { context, page } = await freshPage(browser);
    await page.goto(`/sign-in?next=${encodeURIComponent('/\\evil.example')}`);
    await page.getByLabel('Username').fill(USERS.viewer);
    await page.getByLabel('Password').fill(PW);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await expect(page.getByTestId('signed-in-user')).toHaveText(USERS.viewer);
    expect(new URL(page.url()).origin).toBe(new URL(BASE).origin);
    await context.close();
  });
});

async function freshPage(browser: Browser) {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  return { context, page: await context.newPage() };
}

const signInPost = (body: unknown, headers: Record<string, string> = {}) => fetch(`${BASE}/api/auth/sign-in`, {
  method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body), redirect: 'manual' });

test.describe('rows 5 and 8: the address is not the client\'s to choose; throttle and audit use it', () => {
  test('a forged X-Forwarded-For is not recorded', async () => {
    const res = await signInPost({ username: USERS.viewer, password: PW }, { 'X-Forwarded-For': '203.0.113.7' });
    expect(res.status).toBe(200);
    const session = await prisma.session.findFirstOrThrow({ where: { user: { username: USERS.viewer } }, orderBy: { createdAt: 'desc' } });
    expect(session.address).toBe('127.0.0.1');
    const audit = await prisma.auditLog.findFirstOrThrow({ where: { action: 'user.sign-in', username: USERS.viewer }, orderBy: { id: 'desc' } });
    expect(audit.address).toBe('127.0.0.1');
  });

  test('failed sign-ins and the lockout are audited with the real address', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await signInPost({ username: USERS.locked, password: `wrong-${i}` }, { 'X-Forwarded-For': `198.51.100.${i + 1}` });
      expect(res.status).toBe(401);
    }
    expect((await signInPost({ username: USERS.locked, password: PW })).status).toBe(429);
    const rows = await prisma.auditLog.findMany({ where: { username: USERS.locked }, orderBy: { id: 'asc' } });
    expect(rows.filter((r) => r.action === 'user.sign-in-failed')).toHaveLength(3);
    expect(rows.find((r) => r.action === 'user.sign-in-locked')?.detail).toMatch(/^username "sec-locked" locked for \d+ seconds? after 3 failed sign-ins$/);
    expect(rows.every((r) => r.address === '127.0.0.1')).toBe(true);
  });

  test('guesses rotating usernames and forged addresses still lock the real address', async () => {
    test.setTimeout(90_000);
    let last = 0;
    for (let i = 0; i < 12; i++) {
      const res = await signInPost({ username: `sec-nobody-${i}`, password: 'guess' }, { 'X-Forwarded-For': `192.0.2.${100 + i}` });
      last = res.status;
      if (last === 429) break;
    }
    expect(last, 'the address is locked after its free failures').toBe(429);
    // A right password waits out the lock (not checked while locked); its success clears the address's count.
    await expect.poll(async () => (await signInPost({ username: USERS.viewer, password: PW })).status, { timeout: 30_000, intervals: [1000] }).toBe(200);
  });
});

test.describe('row 6: login CSRF', () => {
  test('the sign-in route wants JSON from the console\'s own origin', async () => {
    const creds = { username: USERS.attacker, password: PW };
    const plain = await fetch(`${BASE}/api/auth/sign-in`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: JSON.stringify(creds) });
    expect(plain.status).toBe(415);
    expect(plain.headers.get('set-cookie')).toBeNull();
    const foreign = await signInPost(creds, { Origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('set-cookie')).toBeNull();
    const crossSite = await signInPost(creds, { 'Sec-Fetch-Site': 'cross-site' });
    expect(crossSite.status).toBe(403);
    expect((await signInPost(creds, { Origin: BASE, 'Sec-Fetch-Site': 'same-origin' })).status).toBe(200);
  });

  test('in the browser: a form on another site does not sign the victim in', async ({ browser }) => {
    const port = await freePort();
    const body = JSON.stringify({ username: USERS.attacker, password: PW, x: '' }).slice(0, -2);
    const evil = http.createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html');
      res.end(`<form method="POST" action="${BASE}/api/auth/sign-in" enctype="text/plain"><input name='${body}' value='"}'></form>
        <script>document.forms[0].submit()</script>`);
    });
    await new Promise<void>((r) => evil.listen(port, '127.0.0.1', r));
    const { context, page } = await freshPage(browser);
    try {
      // localhost is another origin than 127.0.0.1.
      const done = page.waitForURL(/\/api\/auth\/sign-in/);
      await page.goto(`http://localhost:${port}/`);
      await done;
      expect((await context.cookies(BASE)).find((c) => c.name === 'dts_session')).toBeUndefined();
    } finally {
      await context.close();
      await new Promise((r) => evil.close(r));
    }
  });
});

test.describe('row 7: a page checks its role whatever the method', () => {
  test('a viewer\'s plain POST to the edit page gets no wizard', async () => {
    const cookie = await signInCookie(BASE, USERS.viewer, PW);
    const res = await fetch(`${BASE}/sync-tasks/${EDITABLE}/edit`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'x=1', redirect: 'manual' });
    const text = await res.text();
    expect(text).not.toContain('Test Connection And Proceed');
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/\/access-denied\?need=operate$/);
  });

  test('a user who must change the password is sent to Account on a POST too', async () => {
    const cookie = await signInCookie(BASE, USERS.mustChange, PW);
    const res = await fetch(`${BASE}/sync-tasks`, { method: 'POST', headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'x=1', redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/\/account\?required=1$/);
  });
});

test.describe('row 9: security headers, and the console passes its own CSP', () => {
  test('pages and handlers carry them', async () => {
    const page = await fetch(`${BASE}/sign-in`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src [^;]*'nonce-[A-Za-z0-9+/=]+'/);
    expect(csp).not.toMatch(/script-src [^;]*'unsafe-inline'/);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("object-src 'none'");
    for (const res of [page, await fetch(`${BASE}/api/health`)]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('referrer-policy')).toBe('same-origin');
    }
    expect((await fetch(`${BASE}/api/health`)).headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  test('in Chromium: no CSP violation on the console\'s pages, and they work', async ({ page }) => {
    const violations: string[] = [];
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) => {
        (window as unknown as { __csp: string[] }).__csp ??= [];
        (window as unknown as { __csp: string[] }).__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
      });
    });
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    const pages = ['/sync-tasks?region=local', '/sync-tasks/new', `/sync-tasks/${EDITABLE}`, `/sync-tasks/${EDITABLE}/edit`, '/instances', '/audit', '/users', '/account'];
    for (const url of pages) {
      await page.goto(url);
      await page.waitForLoadState('networkidle');
      const seen = await page.evaluate(() => (window as unknown as { __csp?: string[] }).__csp ?? []);
      violations.push(...seen.map((v) => `${url}: ${v}`));
      expect(await page.evaluate(() => document.querySelectorAll('script[nonce]').length), url).toBeGreaterThan(0);
    }
    // The pages are alive (React hydrated under the CSP): a client-side control works.
    await page.goto('/sync-tasks/new');
    const src = page.getByRole('group', { name: 'Source Database' });
    await src.getByLabel('Access Method').selectOption('cloud');
    await expect(src.getByLabel('Instance ID')).toBeVisible();
    expect(violations).toEqual([]);
  });

  test('in Chromium: the sign-in page passes its CSP and signs in', async ({ browser }) => {
    const { context, page } = await freshPage(browser);
    const violations: string[] = [];
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    await page.goto('/sign-in');
    await page.getByLabel('Username').fill(USERS.viewer);
    await page.getByLabel('Password').fill(PW);
    await page.getByRole('button', { name: 'Sign In' }).click();
    await expect(page.getByTestId('signed-in-user')).toHaveText(USERS.viewer);
    expect(violations).toEqual([]);
    await context.close();
  });
});

test.describe('also', () => {
  test('Change Password\'s current-password check is throttled and audited', async () => {
    test.setTimeout(60_000);
    const cookie = await signInCookie(BASE, USERS.changer, PW);
    const attempt = () => callAction(BASE, action('changePasswordAction'), '/account',
      [null, formOf({ current: 'guess-guess-1', next: 'another-pw-000001', confirm: 'another-pw-000001' })], cookie);
    const answers: string[] = [];
    for (let i = 0; i < 4; i++) answers.push((await attempt()).text);
    expect(answers[0]).toContain('The current password is not correct.');
    expect(answers[3]).toMatch(/Too many wrong passwords\. Try again in \d+ seconds?\./);
    expect(await prisma.auditLog.count({ where: { username: USERS.changer, action: 'user.change-password-failed' } })).toBe(3);
  });

  test('region, storedCa, storedClientCert and dmsInstance have a maximum length', async () => {
    const draft = newTaskDraft('local');
    const long = 'x'.repeat(100_000);
    const text = await testConnections({
      region: 'local', name: 'sec-long',
      source: { ...draft.source, host: '127.0.0.1', port: listener.port, region: long, storedCa: long, storedClientCert: long, dmsInstance: long },
      target: { ...draft.target, host: '127.0.0.1', port: listener.port },
    });
    for (const field of ['region', 'storedCa', 'storedClientCert', 'dmsInstance']) expect(text).toContain(`"source.${field}"`);
  });

  test('/api/health tells a stranger only that the console answers', async () => {
    const res = await fetch(`${BASE}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});
