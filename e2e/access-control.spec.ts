/**
 * Access control against the production console: every page, route handler and
 * server action the app has (enumerated from app/, the 'use server' modules and
 * the build's action manifest) refuses a request without a session — pages
 * redirect to /sign-in, handlers and actions answer 401 — and serves it with one;
 * a viewer is refused every change even when calling the actions directly;
 * sessions end after inactivity and at sign-out; wrong passwords get one message
 * and are slowed; the audit trail shows on task details and the Audit page.
 */
import { expect, test, type Browser } from '@playwright/test';
import { hashPassword } from '../lib/auth/password';
import { PUBLIC_ROUTES } from '../lib/auth/routes';
import { createDb, type PrismaClient } from '../lib/db/client';
import { builtActions, callAction, fill, pages, routeHandlers, signInCookie, sourceActions } from './testing/app-routes';

const BASE = process.env.E2E_BASE_URL!;
const ADMIN_PW = process.env.E2E_ADMIN_PASSWORD!;
const VIEWER = { username: 'vic-viewer', password: 'viewer-pw-0001' };
const EDITABLE = 'dtse2eacl00001'; // Not Started: its edit page opens
const RUNNING = 'dtse2eacl00002'; // Running without an engine: End works without one
const AUDITED = 'dtse2eacl00003';
const NO_TASK = 'dtse2enosuch00';

let prisma: PrismaClient;
let instanceId = '';

const endpoint = (port: number) => JSON.stringify({ host: '127.0.0.1', port, authMethod: 'password-free' });

test.describe.configure({ mode: 'serial' });

test.beforeAll(async () => {
  prisma = createDb(process.env.E2E_DATABASE_FILE!);
  for (const [id, name, status] of [[EDITABLE, 'acl-editable', 'NotStarted'], [RUNNING, 'acl-running', 'Running'], [AUDITED, 'audit-demo', 'Running']]) {
    await prisma.task.upsert({ where: { id }, update: { status }, create: { id, name, region: 'local', status, source: endpoint(1), target: endpoint(2) } });
  }
  await prisma.verificationRun.upsert({
    where: { id: PARAMS.runId }, update: {},
    create: { id: PARAMS.runId, taskId: EDITABLE, kind: 'full', trigger: 'manual', status: 'equal', finishedAt: new Date() },
  });
  const inst = await prisma.instance.upsert({
    where: { instanceId: 'r-acl-keep' }, update: {},
    create: { instanceId: 'r-acl-keep', region: 'local', host: '127.0.0.1', port: 6390 },
  });
  instanceId = inst.id;
  await prisma.user.upsert({
    where: { username: VIEWER.username }, update: {},
    create: { username: VIEWER.username, role: 'viewer', passwordHash: await hashPassword(VIEWER.password) },
  });
});

test.afterAll(async () => {
  // Leave the shared database as the other specs expect it (they count the tasks of a region).
  await prisma?.task.deleteMany({ where: { id: { in: [EDITABLE, RUNNING, AUDITED] } } });
  await prisma?.instance.deleteMany({ where: { instanceId: 'r-acl-keep' } });
  await prisma?.$disconnect();
});

/** Arguments that reach each action's own checks (and change nothing), and the ability it needs. */
function formOf(fields: Record<string, string>): FormData {
  const f = new FormData();
  for (const [k, v] of Object.entries(fields)) f.append(k, v);
  return f;
}
const ACTION_CALLS: Record<string, { args: () => unknown[]; ability: 'view' | 'operate' | 'manage-users' }> = {
  performTaskAction: { args: () => [RUNNING, 'end'], ability: 'operate' },
  cloneTaskAction: { args: () => [NO_TASK], ability: 'operate' },
  upgradeInstanceClassAction: { args: () => [NO_TASK, 'xlarge'], ability: 'operate' },
  testConnectionsAction: { args: () => [{}], ability: 'operate' },
  validateObjectsAction: { args: () => [{}], ability: 'operate' },
  validateAdvancedAction: { args: () => [{}], ability: 'operate' },
  saveTaskAction: { args: () => [{}], ability: 'operate' },
  startPrecheckAction: { args: () => [NO_TASK], ability: 'operate' },
  ignorePrecheckItemAction: { args: () => [NO_TASK, 'x'], ability: 'operate' },
  purchaseAction: { args: () => [null, formOf({ taskId: NO_TASK })], ability: 'operate' },
  saveInstanceAction: { args: () => [null, formOf({ instanceId: '' })], ability: 'operate' },
  deleteInstanceAction: { args: () => [formOf({ id: instanceId })], ability: 'operate' },
  verifyNowAction: { args: () => [RUNNING], ability: 'operate' },
  stopVerificationAction: { args: () => [RUNNING], ability: 'operate' },
  changePasswordAction: { args: () => [null, formOf({ current: 'not-the-password' })], ability: 'view' },
  createTokenAction: { args: () => [null, formOf({ name: '' })], ability: 'view' },
  revokeTokenAction: { args: () => [formOf({ id: 'no-such-token' })], ability: 'view' },
  cutoverTaskAction: { args: () => [RUNNING, {}], ability: 'operate' },
  createUserAction: { args: () => [null, formOf({ username: '' })], ability: 'manage-users' },
  setUserRoleAction: { args: () => ['no-such-user', 'viewer'], ability: 'manage-users' },
  setUserDisabledAction: { args: () => ['no-such-user', true], ability: 'manage-users' },
  resetUserPasswordAction: { args: () => ['no-such-user'], ability: 'manage-users' },
  deleteUserAction: { args: () => ['no-such-user'], ability: 'manage-users' },
};
/** Actions the admin check above must not run for real (deleteInstanceAction would delete the kept instance). */
const ADMIN_ARGS: Record<string, () => unknown[]> = {
  performTaskAction: () => [NO_TASK, 'pause'],
  deleteInstanceAction: () => [formOf({ id: 'no-such-instance' })],
  verifyNowAction: () => [NO_TASK],
  stopVerificationAction: () => [NO_TASK],
  ignorePrecheckItemAction: () => [EDITABLE, 'x'], // (an unknown task is not answered in words: a 500 unrelated to access)
};

const PARAMS = { id: EDITABLE, taskId: EDITABLE, runId: 'acl-verification-run', itemId: 'target-existence', action: 'start' };

test('the enumeration finds every page, handler and action', () => {
  const src = sourceActions().map((a) => `${a.file}#${a.name}`);
  const built = builtActions().map((a) => `${a.file}#${a.name}`);
  // Every action the build can be called with comes from a 'use server' module we read, and has test arguments.
  for (const b of built) expect(src, 'built action missing from the source scan').toContain(b);
  for (const a of sourceActions()) expect(Object.keys(ACTION_CALLS), `${a.file}#${a.name} needs an entry in ACTION_CALLS`).toContain(a.name);
  expect(pages()).toEqual(expect.arrayContaining(['/sign-in', '/sync-tasks', '/sync-tasks/[id]', '/users', '/audit', '/account']));
  expect(routeHandlers().map((r) => r.route)).toEqual(expect.arrayContaining(['/api/health', '/api/tasks', '/api/auth/sign-in']));
});

test('without a session: pages redirect to sign-in, handlers and actions answer 401', async () => {
  for (const route of pages()) {
    const url = fill(route, PARAMS);
    const res = await fetch(`${BASE}${url}`, { redirect: 'manual' });
    if (PUBLIC_ROUTES.some((p) => p.method === 'GET' && p.path === route)) {
      expect(res.status, `${url} is public`).toBe(200);
      continue;
    }
    expect(res.status, `GET ${url}`).toBe(307);
    expect(res.headers.get('location'), `GET ${url}`).toMatch(/\/sign-in(\?next=|$)/);
  }
  for (const { route, methods } of routeHandlers()) {
    const url = fill(route, PARAMS);
    for (const method of methods) {
      const res = await fetch(`${BASE}${url}`, { method, redirect: 'manual', headers: { 'Content-Type': 'application/json' }, body: method === 'GET' ? undefined : '{}' });
      if (PUBLIC_ROUTES.some((p) => p.method === method && p.path === route)) {
        expect(res.status, `${method} ${url} is public`).not.toBe(401);
        continue;
      }
      expect(res.status, `${method} ${url}`).toBe(401);
    }
  }
  for (const action of builtActions()) {
    const call = ACTION_CALLS[action.name];
    for (const route of [...action.routes.map((r) => fill(r, PARAMS)), '/sign-in', '/api/health']) {
      const res = await callAction(BASE, action, route, call.args());
      expect(res.status, `${action.name} posted to ${route}`).toBe(401);
    }
  }
  expect((await prisma.task.findUniqueOrThrow({ where: { id: RUNNING } })).status).toBe('Running');
});

test('with a session: every page, handler and action is served', async () => {
  const cookie = await signInCookie(BASE, 'admin', ADMIN_PW);
  for (const route of pages()) {
    const url = fill(route, PARAMS);
    const res = await fetch(`${BASE}${url}`, { redirect: 'manual', headers: { Cookie: cookie } });
    if (route === '/sign-in' || route === '/') {
      expect(res.status, `GET ${url}`).toBe(307); // signed in: on to the console
      expect(res.headers.get('location')).toMatch(/\/sync-tasks$/);
      continue;
    }
    expect(res.status, `GET ${url}`).toBe(200);
  }
  for (const { route, methods } of routeHandlers()) {
    const url = fill(route, PARAMS);
    for (const method of methods) {
      if (route === '/api/auth/sign-in') continue; // public, covered by the sign-in tests
      // The REST API's changes need a body and would change the tasks: e2e/api.spec.ts drives each of them.
      if (route.startsWith('/api/v1/') && method !== 'GET') continue;
      // Sign-out ends the session: give it one of its own.
      const c = route === '/api/auth/sign-out' ? await signInCookie(BASE, 'admin', ADMIN_PW) : cookie;
      const ac = new AbortController();
      const res = await fetch(`${BASE}${url}`, { method, redirect: 'manual', headers: { Cookie: c }, signal: ac.signal });
      expect(res.status, `${method} ${url}`).toBe(route === '/api/auth/sign-out' ? 303 : 200);
      ac.abort(); // the events route streams until cancelled
    }
  }
  for (const action of builtActions()) {
    const call = ACTION_CALLS[action.name];
    const res = await callAction(BASE, action, fill(action.routes[0], PARAMS), (ADMIN_ARGS[action.name] ?? call.args)(), cookie);
    expect(res.status, `${action.name}: ${res.text.slice(0, 300)}`).toBe(200);
    expect(res.text, action.name).not.toMatch(/Sign in first|session has ended|cannot (change|manage)/);
  }
});

test('a viewer is refused every change, even calling the actions directly', async () => {
  const cookie = await signInCookie(BASE, VIEWER.username, VIEWER.password);
  for (const action of builtActions()) {
    const call = ACTION_CALLS[action.name];
    if (call.ability === 'view') continue;
    const res = await callAction(BASE, action, fill(action.routes[0], PARAMS), call.args(), cookie);
    if (action.name === 'deleteInstanceAction') {
      expect(res.status, action.name).toBe(500); // a form action without a result: it throws AccessError
    } else {
      expect(res.status, action.name).toBe(200);
      expect(res.text, action.name).toContain('Your role (Viewer) cannot');
    }
  }
  // Nothing changed: the Running task still runs, the instance is still there, no user was touched.
  expect((await prisma.task.findUniqueOrThrow({ where: { id: RUNNING } })).status).toBe('Running');
  expect(await prisma.instance.findUnique({ where: { id: instanceId } })).not.toBeNull();
  // Pages for changes send the viewer to Access denied.
  for (const url of ['/sync-tasks/new', `/sync-tasks/${EDITABLE}/edit`, '/users']) {
    const res = await fetch(`${BASE}${url}`, { redirect: 'manual', headers: { Cookie: cookie } });
    expect(res.status, url).toBe(307);
    expect(res.headers.get('location'), url).toMatch(/\/access-denied\?need=/);
  }
});

test('a session ends after inactivity; background reads do not keep it alive', async () => {
  const cookie = await signInCookie(BASE, 'admin', ADMIN_PW);
  const sessions = await prisma.session.findMany({ orderBy: { createdAt: 'desc' }, take: 1 });
  const id = sessions[0].id;
  const fiveMinutesAgo = new Date(Date.now() - 5 * 60_000);
  await prisma.session.update({ where: { id }, data: { lastSeenAt: fiveMinutesAgo } });
  expect((await fetch(`${BASE}/api/tasks`, { headers: { Cookie: cookie } })).status).toBe(200);
  expect((await prisma.session.findUniqueOrThrow({ where: { id } })).lastSeenAt.getTime()).toBe(fiveMinutesAgo.getTime());
  expect((await fetch(`${BASE}/sync-tasks`, { headers: { Cookie: cookie }, redirect: 'manual' })).status).toBe(200);
  expect((await prisma.session.findUniqueOrThrow({ where: { id } })).lastSeenAt.getTime()).toBeGreaterThan(Date.now() - 60_000);

  await prisma.session.update({ where: { id }, data: { lastSeenAt: new Date(Date.now() - 31 * 60_000) } });
  expect((await fetch(`${BASE}/api/tasks`, { headers: { Cookie: cookie } })).status).toBe(401);
  const page = await fetch(`${BASE}/sync-tasks`, { headers: { Cookie: cookie }, redirect: 'manual' });
  expect(page.status).toBe(307);
  expect(page.headers.get('location')).toContain('/sign-in');
  expect(await prisma.session.findUnique({ where: { id } })).toBeNull();
});

async function freshPage(browser: Browser) {
  const context = await browser.newContext({ storageState: { cookies: [], origins: [] } });
  return { context, page: await context.newPage() };
}

test('wrong passwords get one clear message and are slowed; sign-out ends the session', async ({ browser }, info) => {
  const { context, page } = await freshPage(browser);
  const alert = page.getByRole('form', { name: 'Sign in' }).getByRole('alert');
  await page.goto('/instances');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Finstances/);
  await expect(page.getByRole('button', { name: 'Sign In' })).toBeVisible();

  for (let i = 0; i < 2; i++) {
    await page.getByLabel('Username').fill('admin');
    await page.getByLabel('Password').fill(`wrong-${i}`);
    const started = Date.now();
    await page.getByRole('button', { name: 'Sign In' }).click();
    await expect(alert).toHaveText('Wrong username or password.');
    expect(Date.now() - started, 'a wrong password is answered after a delay').toBeGreaterThanOrEqual(1000);
    await expect(alert).toHaveCount(1);
  }
  await page.screenshot({ path: info.outputPath('wrong-password.png'), fullPage: true });

  // A third failure locks this address and username for a while: the next attempt is refused unchecked.
  await page.getByLabel('Password').fill('wrong-2');
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(alert).toHaveText('Wrong username or password.');
  await page.getByLabel('Password').fill(ADMIN_PW);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(alert).toHaveText(/^Too many failed sign-ins\. Try again in \d+ seconds?\.$/);
  await page.screenshot({ path: info.outputPath('throttled.png'), fullPage: true });
  await page.waitForTimeout(5_500);

  await page.getByLabel('Password').fill(ADMIN_PW);
  await page.getByRole('button', { name: 'Sign In' }).click();
  await expect(page).toHaveURL(/\/instances$/);
  await expect(page.getByRole('heading', { name: 'Instances', exact: true })).toBeVisible();

  const cookie = (await context.cookies()).find((c) => c.name === 'dts_session')!;
  expect(cookie.httpOnly).toBe(true);
  expect(cookie.sameSite).toBe('Lax');

  await page.getByRole('button', { name: 'Sign Out' }).click();
  await expect(page).toHaveURL(/\/sign-in\?signedOut=1/);
  await expect(page.getByText('You are signed out.')).toBeVisible();
  // The old cookie is dead on the server too.
  expect((await fetch(`${BASE}/api/tasks`, { headers: { Cookie: `dts_session=${cookie.value}` } })).status).toBe(401);
  await page.goto('/sync-tasks');
  await expect(page).toHaveURL(/\/sign-in/);
  await context.close();
});

test('the audit trail: End and Release on task details, then the Audit page filtered by user', async ({ page }, info) => {
  await page.goto(`/sync-tasks/${AUDITED}`);
  const actions = page.getByRole('group', { name: 'Actions of audit-demo' });
  await actions.getByRole('button', { name: 'End' }).click();
  await page.getByRole('button', { name: 'End Task' }).click();
  const trail = page.getByRole('table', { name: 'Task audit trail' });
  await expect(trail.getByRole('row', { name: /admin.*Ended task/ })).toBeVisible();
  await actions.getByRole('button', { name: 'Release' }).click();
  await page.getByRole('button', { name: 'Release Task' }).click();
  await expect(page).toHaveURL(/\/sync-tasks(\?|$)/);

  await page.goto(`/sync-tasks/${AUDITED}`);
  await expect(trail.getByRole('row', { name: /admin.*Released task/ })).toBeVisible();
  await expect(trail.getByRole('row', { name: /admin.*Ended task/ })).toBeVisible();
  await page.getByRole('heading', { name: 'Audit Trail' }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: info.outputPath('task-audit.png'), fullPage: true });

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
  await expect(page.getByRole('heading', { name: 'Audit', exact: true })).toBeVisible();
  await page.getByLabel('User').selectOption('admin');
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(/\/audit\?user=admin/);
  const entries = page.getByRole('table', { name: 'Audit trail' });
  await expect(entries.getByRole('row', { name: /Released task.*audit-demo/ })).toBeVisible();
  await expect(entries.getByRole('row', { name: /Ended task.*audit-demo/ })).toBeVisible();
  await page.screenshot({ path: info.outputPath('audit-page.png'), fullPage: true });
  // Filtered by the viewer, none of the admin's entries show.
  await page.getByLabel('User').selectOption(VIEWER.username);
  await page.getByRole('button', { name: 'Filter' }).click();
  await expect(page).toHaveURL(new RegExp(`user=${VIEWER.username}`));
  await expect(entries.getByRole('row', { name: /audit-demo/ })).toHaveCount(0);
  await expect(entries.getByRole('row', { name: /Signed in/ }).first()).toBeVisible();
});
