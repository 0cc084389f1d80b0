/**
 * The REST API (/api/v1) driven the way a pipeline drives it: tokens from
 * `npm run token`, requests with `Authorization: Bearer` only (no cookie), against
 * the real console and real redis-server processes. The whole lifecycle — create
 * (idempotently) → precheck (an item ignored) → start → Running → a write replicated
 * → cut over (writes on the source up to it, paused for it) → Ended → release, and the
 * destination equals the source key by key; a viewer's token cannot start or end; a revoked token gets
 * 401; every call is in the audit trail; the OpenAPI document validates and lists
 * every operation the lifecycle used.
 */
import { Validator } from '@seriousme/openapi-schema-validator';
import { expect, test } from '@playwright/test';
import { compareKeyByKey } from '../engine/testing/compare';
import { createDb } from '../lib/db/client';
import { ApiClient, endpointInput, tokenCli } from './testing/api-client';
import { shot, useServerPair } from './testing/journey';

test.describe.configure({ mode: 'serial' });

const servers = useServerPair();
let ops: ApiClient;
let viewer: ApiClient;
let revoked: ApiClient;
let opsTokenId = '';

test.beforeAll(async () => {
  const opsToken = tokenCli(['create', '--user', 'admin', '--name', 'pipeline', '--role', 'operator', '--expires', '1d']);
  const viewerToken = tokenCli(['create', '--user', 'admin', '--name', 'dashboard', '--role', 'viewer']);
  const oldToken = tokenCli(['create', '--user', 'admin', '--name', 'old-ci']);
  for (const t of [opsToken, viewerToken, oldToken]) expect(t).toMatch(/^dts_[A-Za-z0-9_-]+$/);
  const list = tokenCli(['list', '--user', 'admin']);
  const idOf = (name: string) => list.split('\n').find((l) => l.split('\t')[1] === name)!.split('\t')[0];
  opsTokenId = idOf('pipeline');
  expect(tokenCli(['revoke', '--user', 'admin', '--id', idOf('old-ci')])).toContain('revoked');
  [ops, viewer, revoked] = await Promise.all([ApiClient.open(opsToken), ApiClient.open(viewerToken), ApiClient.open(oldToken)]);
});

test.afterAll(async () => {
  await Promise.all([ops?.close(), viewer?.close(), revoked?.close()]);
});

test('a task goes through its whole lifecycle by API token alone', async ({ page }) => {
  test.setTimeout(180_000);
  const { source, target } = servers();
  const src = source.client();
  const dst = target.client();
  const prisma = createDb(process.env.E2E_DATABASE_FILE!);
  try {
    await src.set('before:start', 'snapshot');
    // A key the destination already holds: the precheck fails it under Precheck And Block, and it may be ignored.
    await dst.set('already:there', 'x');
    const draft = {
      region: 'local', name: 'api-lifecycle', source: endpointInput(source.port), target: endpointInput(target.port),
      syncTypes: 'full+incremental', conflictMode: 'block', objects: { dbs: [{ db: 0, targetDb: 0 }] },
      advanced: {}, verification: { full: { enabled: false } },
    };

    // Invalid input answers with the wizard's own field messages.
    const bad = await ops.call('POST', '/tasks', { body: { ...draft, name: '', objects: { dbs: [] } } });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_request');
    expect(bad.json.error.fields).toMatchObject({ name: 'Enter a Task Name.', 'objects.dbs': expect.stringContaining('Select at least one DB') });

    // Create, idempotently: the retry gets the same task, another body under the same key is refused.
    const created = await ops.call('POST', '/tasks', { body: draft, headers: { 'Idempotency-Key': 'lifecycle-1' } });
    expect(created.status).toBe(201);
    const taskId: string = created.json.task.id;
    expect(created.json.task).toMatchObject({ name: 'api-lifecycle', status: 'NotStarted' });
    const retry = await ops.call('POST', '/tasks', { body: draft, headers: { 'Idempotency-Key': 'lifecycle-1' } });
    expect(retry.status).toBe(201);
    expect(retry.res.headers()['idempotent-replayed']).toBe('true');
    expect(retry.json.task.id).toBe(taskId);
    const reused = await ops.call('POST', '/tasks', { body: { ...draft, name: 'other' }, headers: { 'Idempotency-Key': 'lifecycle-1' } });
    expect(reused.status).toBe(422);
    expect(reused.json.error.code).toBe('idempotency_key_reused');
    expect(await prisma.task.count({ where: { name: 'api-lifecycle' } })).toBe(1);

    // Precheck: run, read until finished, ignore the occupied-destination item.
    expect((await ops.call('POST', '/tasks/{taskId}/precheck', { params: { taskId } })).status).toBe(202);
    await expect.poll(async () => (await ops.call('GET', '/tasks/{taskId}/precheck', { params: { taskId } })).json.doc?.finishedAt ?? null,
      { timeout: 60_000 }).not.toBeNull();
    const precheck = (await ops.call('GET', '/tasks/{taskId}/precheck', { params: { taskId } })).json;
    expect(precheck.status).toBe('PrecheckFailed');
    const failed = precheck.doc.items.filter((i: { status: string }) => i.status === 'failed');
    expect(failed.length).toBeGreaterThan(0);
    for (const item of failed) {
      expect(item.ignorable, `${item.name}: ${item.reason}`).toBe(true);
      const ignored = await ops.call('POST', '/tasks/{taskId}/precheck/items/{itemId}/ignore', { params: { taskId, itemId: item.id } });
      expect(ignored.status).toBe(200);
    }
    expect((await ops.call('GET', '/tasks/{taskId}/precheck', { params: { taskId } })).json.status).toBe('PrecheckPassed');

    // A viewer's token may read but not start.
    expect((await viewer.call('GET', '/tasks/{taskId}', { params: { taskId } })).status).toBe(200);
    const denied = await viewer.call('POST', '/tasks/{taskId}/start', { params: { taskId } });
    expect(denied.status).toBe(403);
    expect(denied.json.error.code).toBe('forbidden');

    // Start → Running; a write on the source reaches the destination.
    const started = await ops.call('POST', '/tasks/{taskId}/start', { params: { taskId } });
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    await expect.poll(async () => (await ops.call('GET', '/tasks/{taskId}', { params: { taskId } })).json.task.status, { timeout: 90_000 }).toBe('Running');
    expect(await dst.get('before:start')).toBe('snapshot');
    await src.set('written:by-app', 'live');
    await expect.poll(() => dst.get('written:by-app'), { timeout: 30_000 }).toBe('live');
    // The task list (the browser is signed in as admin) shows the Running task's live delay, not "—".
    await page.goto('/sync-tasks?region=local');
    const row = page.getByRole('row').filter({ hasText: 'api-lifecycle' });
    await expect(row.getByRole('cell').nth(3)).toHaveText(/^\d+(\.\d)? (ms|s)$|^\d+ min \d+ s$/, { timeout: 15_000 });
    const running = (await ops.call('GET', '/tasks/{taskId}', { params: { taskId } })).json;
    expect(running.task.shards).toHaveLength(1);
    expect(running.config.dbs).toEqual([{ db: 0, targetDb: 0 }]);
    await expect.poll(async () => (await ops.call('GET', '/tasks/{taskId}', { params: { taskId } })).json.task.shards[0].offset, { timeout: 30_000 }).toBeGreaterThan(0);

    // The list (a page), the log.
    const listed = await ops.call('GET', '/tasks', { query: { region: 'local', limit: '1' } });
    expect(listed.status).toBe(200);
    expect(listed.json.tasks).toHaveLength(1);
    expect(listed.json.tasks[0]).toMatchObject({ id: taskId, status: 'Running' });
    const logs = await ops.call('GET', '/tasks/{taskId}/logs', { params: { taskId } });
    expect(logs.json.logs.map((l: { message: string }) => l.message)).toContain('task created');

    // Pause and resume.
    const paused = await ops.call('POST', '/tasks/{taskId}/pause', { params: { taskId } });
    expect(paused.status, JSON.stringify(paused.json)).toBe(200);
    expect(paused.json.task.status).toBe('Paused');
    expect((await ops.call('POST', '/tasks/{taskId}/resume', { params: { taskId } })).status).toBe(200);
    await expect.poll(async () => (await ops.call('GET', '/tasks/{taskId}', { params: { taskId } })).json.task.status, { timeout: 30_000 }).toBe('Running');
    // Upgrade the instance class.
    const upgraded = await ops.call('POST', '/tasks/{taskId}/instance-class', { params: { taskId }, body: { instanceClass: 'unlimited' } });
    expect(upgraded.status, JSON.stringify(upgraded.json)).toBe(200);
    expect(upgraded.json.task.instanceClass).toBe('unlimited');
    // Verify Now, and read its rounds.
    const verify = await ops.call('POST', '/tasks/{taskId}/verifications', { params: { taskId } });
    expect(verify.status, JSON.stringify(verify.json)).toBe(202);
    const runId: string = verify.json.runId;
    await expect.poll(async () => (await ops.call('GET', '/tasks/{taskId}/verifications/{runId}', { params: { taskId, runId } })).json.status,
      { timeout: 60_000 }).not.toBe('running');
    const run = (await ops.call('GET', '/tasks/{taskId}/verifications/{runId}', { params: { taskId, runId } })).json;
    expect(run.roundResults.length).toBeGreaterThan(0);
    // The one difference: the key the precheck item was ignored for, on the destination only.
    expect(run.roundResults.at(-1).counts).toMatchObject({ lack_source: 1 });
    expect((await ops.call('GET', '/tasks/{taskId}/verifications', { params: { taskId } })).json.runs.map((r: { id: string }) => r.id)).toContain(runId);
    // …and /metrics says so.
    const metrics = await ops.raw('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text).toContain(`dts_verification_differences{task_id="${taskId}",kind="full"} 1`);
    // Clone, change the clone's settings, release it.
    const clone = await ops.call('POST', '/tasks/{taskId}/clone', { params: { taskId } });
    expect(clone.status).toBe(201);
    expect(clone.json.task).toMatchObject({ name: 'api-lifecycle (copy)', status: 'NotStarted' });
    const cloneId: string = clone.json.task.id;
    const edited = await ops.call('PUT', '/tasks/{taskId}', { params: { taskId: cloneId }, body: { ...draft, name: 'api-lifecycle-2' } });
    expect(edited.status, JSON.stringify(edited.json)).toBe(200);
    expect(edited.json.task.name).toBe('api-lifecycle-2');
    expect((await ops.call('PUT', '/tasks/{taskId}', { params: { taskId }, body: draft })).json.error.code).toBe('invalid_state');
    expect((await ops.call('POST', '/tasks/{taskId}/release', { params: { taskId: cloneId } })).status).toBe(200);

    // Not allowed in this state: a stable code and words.
    const early = await ops.call('POST', '/tasks/{taskId}/release', { params: { taskId } });
    expect(early.status).toBe(409);
    expect(early.json.error).toMatchObject({ code: 'invalid_state', message: expect.stringContaining('cannot be released') });

    // A viewer's token cannot end it (nor cut it over); a threshold below the delay is refused.
    expect((await viewer.call('POST', '/tasks/{taskId}/end', { params: { taskId } })).status).toBe(403);
    expect((await viewer.call('POST', '/tasks/{taskId}/cutover', { params: { taskId }, body: {} })).status).toBe(403);

    // The application writes up to the cut over; the cut over pauses writes, waits for the destination
    // to hold the source's offset, verifies, records it and ends the task.
    // The application keeps writing (one new key after another, on one connection) while the cut over runs:
    // its writes reach the pause and wait there.
    let writing = true;
    let written = 0;
    const load = (async () => {
      const app = source.client();
      while (writing) {
        await app.set(`app:${written}`, `v${written}`);
        written++;
      }
      app.disconnect();
    })();
    await expect.poll(() => written, { timeout: 10_000 }).toBeGreaterThan(200);
    const beforeCut = written;
    // The destination falls behind for a moment (it holds writes for 1.5 s): the cut over has to wait for it.
    await dst.call('CLIENT', 'PAUSE', '1500', 'WRITE');
    const cut = await ops.call('POST', '/tasks/{taskId}/cutover', { params: { taskId }, body: { maxLagSeconds: 30, pauseWrites: true, pauseLimitMs: 20_000 } });
    expect(cut.status, JSON.stringify(cut.json)).toBe(200);
    expect(cut.json.task.status).toBe('Ended');
    writing = false;
    await load;
    const offset = Number((await src.info('replication')).match(/master_repl_offset:(\d+)/)![1]);
    expect(cut.json.report).toMatchObject({ writesPaused: true, keysVerified: expect.any(Number), shards: [{ offset: expect.any(Number), replid: expect.any(String) }] });
    // Every key the application wrote through the stream was compared, besides the sample.
    expect(cut.json.report.changedKeysVerified).toBeGreaterThanOrEqual(beforeCut);
    expect(cut.json.report.keysVerified).toBeGreaterThan(cut.json.report.changedKeysVerified);
    expect(cut.json.report.shards[0].offset).toBeLessThanOrEqual(offset);
    expect(cut.json.report.statement).toMatch(/^The destination held every write up to offset \d+ of replication id [0-9a-f]{40} at \S+ — verified \d+ key/);
    // The pause was lifted: the source takes writes again.
    await src.set('after:cutover', '1');
    const details = (await ops.call('GET', '/tasks/{taskId}', { params: { taskId } })).json;
    expect(details.task.cutover.statement).toBe(cut.json.report.statement);
    const released = await ops.call('POST', '/tasks/{taskId}/release', { params: { taskId } });
    expect(released.status).toBe(200);
    expect(released.json.task.status).toBe('Released');
    expect((await ops.call('GET', '/tasks', { query: { region: 'local' } })).json.tasks.map((t: { id: string }) => t.id)).not.toContain(taskId);

    // The destination holds every write up to the pause, in order: app:0 … app:M-1 with no gap, M at least
    // the writes made before the cut over began. Writes after it (app:M …, once the pause was lifted) are the
    // source's alone: the application moves to the destination at the cut over.
    const held = (await dst.keys('app:*')).map((k) => Number(k.slice(4))).sort((a, b) => a - b);
    expect(held).toEqual([...Array(held.length).keys()]);
    expect(held.length).toBeGreaterThanOrEqual(beforeCut);
    expect(held.length).toBeLessThanOrEqual(written);
    for (let n = held.length; n < written; n++) await src.del(`app:${n}`);
    // Then key by key (the key the precheck item was ignored for aside, and the write made after the cut over).
    await dst.del('already:there');
    await src.del('after:cutover');
    expect(await compareKeyByKey(src, dst, [0])).toEqual([]);

    // A revoked token is no credential at all.
    const gone = await revoked.call('GET', '/tasks');
    expect(gone.status).toBe(401);
    expect(gone.json.error.code).toBe('unauthorized');
    expect(gone.json.error.message).toContain('revoked');

    // Every call is in the audit trail: one api.request per call, with its answer; the changes as themselves.
    const trail = await prisma.auditLog.findMany({ where: { action: 'api.request', targetId: opsTokenId }, orderBy: { id: 'asc' } });
    expect(trail.filter((a) => !a.detail.startsWith('GET /metrics')).map((a) => a.detail))
      .toEqual(ops.calls.map((c) => expect.stringMatching(new RegExp(`^${c.method} /api/v1/\\S+ → ${c.status}$`))));
    expect(trail.filter((a) => a.detail === 'GET /metrics → 200')).toHaveLength(1);
    expect(trail.every((a) => a.username === 'admin' && a.targetName === 'pipeline')).toBe(true);
    const changes = await prisma.auditLog.findMany({ where: { targetType: 'task', targetId: taskId }, select: { action: true } });
    expect(changes.map((c) => c.action)).toEqual(expect.arrayContaining(['task.create', 'task.precheck', 'task.precheck-ignore', 'task.start', 'task.cutover', 'task.release']));
    const viewerCalls = await prisma.auditLog.findMany({ where: { action: 'api.request', targetName: 'dashboard' } });
    expect(viewerCalls.map((a) => a.detail)).toEqual(expect.arrayContaining([`POST /api/v1/tasks/${taskId}/start → 403`, `POST /api/v1/tasks/${taskId}/end → 403`]));
    expect(await prisma.auditLog.count({ where: { action: 'token.refused', targetName: 'old-ci' } })).toBe(1);
  } finally {
    src.disconnect();
    dst.disconnect();
    await prisma.$disconnect();
  }
});

test('instances: registered, listed and deleted by API; a viewer may only list them', async () => {
  const body = { instanceId: 'r-api-1', name: 'from the API', region: 'local', databaseType: 'Redis', host: '127.0.0.1', port: 6390, mode: 'standalone', password: 'app:s3cret-pw', tls: false };
  expect((await viewer.call('POST', '/instances', { body })).status).toBe(403);
  const created = await ops.call('POST', '/instances', { body });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  expect(created.json.instance).toMatchObject({ instanceId: 'r-api-1', address: '127.0.0.1:6390', hasPassword: true, username: 'app' });
  expect(JSON.stringify(created.json)).not.toContain('s3cret-pw');
  const listed = await viewer.call('GET', '/instances', { query: { region: 'local' } });
  expect(listed.json.instances.map((i: { instanceId: string }) => i.instanceId)).toContain('r-api-1');
  const again = await ops.call('POST', '/instances', { body });
  expect(again.status).toBe(400);
  expect(again.json.error.fields.instanceId).toContain('already registered');
  const id: string = created.json.instance.id;
  expect((await ops.call('DELETE', '/instances/{id}', { params: { id } })).status).toBe(200);
  expect((await ops.call('DELETE', '/instances/{id}', { params: { id } })).json.error.code).toBe('not_found');
});

test('the OpenAPI document validates and lists every operation the lifecycle used', async () => {
  const doc = await ops.call('GET', '/openapi.json');
  expect(doc.status).toBe(200);
  const validator = new Validator();
  const result = await validator.validate(doc.json);
  expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
  expect(result.valid).toBe(true);
  expect(validator.version).toBe('3.1');
  const used = [...new Set(ops.calls.map((c) => `${c.method} ${c.template}`))];
  expect(used.length).toBeGreaterThanOrEqual(20);
  for (const u of used) {
    const [method, template] = u.split(' ');
    expect(doc.json.paths[template]?.[method.toLowerCase()], u).toBeTruthy();
  }
  // The create body is the wizard's schema, not a copy written by hand.
  const create = doc.json.paths['/tasks'].post;
  expect(create.parameters.map((p: { name: string }) => p.name)).toContain('Idempotency-Key');
  expect(create.requestBody.content['application/json'].schema).toEqual({ $ref: '#/components/schemas/TaskDraft' });
  expect(doc.json.components.schemas.TaskDraft.properties.advanced.properties).toHaveProperty('retryConnectionMinutes');
});

test('anything else under /api/v1 answers in the same error shape', async () => {
  const missing = await ops.call('GET', '/no-such-thing');
  expect(missing.status).toBe(404);
  expect(missing.json.error.code).toBe('not_found');
  const noTask = await ops.call('GET', '/tasks/{taskId}', { params: { taskId: 'dtsdoesnotexist' } });
  expect(noTask.status).toBe(404);
  expect(noTask.json.error).toMatchObject({ code: 'not_found', message: 'There is no task dtsdoesnotexist.' });
});

test('the Account page creates a token, shows it once, and revokes it', async ({ page }, info) => {
  await page.goto('/account');
  const form = page.getByRole('form', { name: 'Create API token' });
  await form.getByLabel('Token Name').fill('from-the-page');
  await form.getByLabel('Token Role').selectOption('viewer');
  await form.getByLabel('Expires In').fill('2h');
  await form.getByRole('button', { name: 'Create Token' }).click();
  const shown = page.getByLabel('New API token');
  await expect(shown).toHaveValue(/^dts_/);
  const token = await shown.inputValue();
  const tokens = page.getByRole('table', { name: 'Your API tokens' });
  await expect(tokens.getByRole('row').filter({ hasText: 'from-the-page' })).toContainText('Viewer');
  await shot(page, info, 'account-token-created');

  const client = await ApiClient.open(token);
  try {
    expect((await client.call('GET', '/tasks')).status).toBe(200);
    expect((await client.call('POST', '/tasks', { body: {} })).status).toBe(403);
    // Shown once: after a reload only its prefix is left.
    await page.reload();
    await expect(page.getByLabel('New API token')).toHaveCount(0);
    expect(await page.content()).not.toContain(token.slice(12));
    await tokens.getByRole('button', { name: 'Revoke from-the-page' }).click();
    await expect(tokens.getByRole('row').filter({ hasText: 'from-the-page' })).toContainText('Revoked');
    expect((await client.call('GET', '/tasks')).status).toBe(401);
  } finally {
    await client.close();
  }
});

test('Cut Over on a Running task\'s details page records what the destination held and ends the task', async ({ page }, info) => {
  test.setTimeout(180_000);
  const { source, target } = servers();
  const created = await ops.call('POST', '/tasks', {
    body: {
      region: 'local', name: 'cutover-by-button', source: endpointInput(source.port), target: endpointInput(target.port),
      syncTypes: 'full+incremental', conflictMode: 'ignore', objects: { dbs: [{ db: 0, targetDb: 0 }] }, advanced: {}, verification: { full: { enabled: false } },
    },
  });
  expect(created.status, JSON.stringify(created.json)).toBe(201);
  const taskId: string = created.json.task.id;
  const started = await ops.call('POST', '/tasks/{taskId}/start', { params: { taskId } });
  expect(started.status, JSON.stringify(started.json)).toBe(200);
  await expect.poll(async () => (await ops.call('GET', '/tasks/{taskId}', { params: { taskId } })).json.task.status, { timeout: 90_000 }).toBe('Running');

  await page.goto(`/sync-tasks/${taskId}`);
  const panel = page.getByRole('region', { name: 'Cut Over' });
  await expect(panel).toContainText('Delay now');
  await panel.getByLabel('Pause writes on the source (CLIENT PAUSE WRITE)').check();
  const button = panel.getByRole('button', { name: 'Cut Over' });
  await expect(button).toBeEnabled({ timeout: 30_000 }); // once a heartbeat has given the delay
  await shot(page, info, 'cutover-before');
  await button.click();
  await expect(panel.getByRole('status')).toContainText(/^The destination held every write up to offset \d+ of replication id [0-9a-f]{40} at /, { timeout: 60_000 });
  await expect(panel).toContainText('Writes on the source were paused for');
  await expect(page.getByRole('status', { name: 'Status: Ended' })).toBeVisible({ timeout: 30_000 });
  await shot(page, info, 'cutover-done');
  expect((await ops.call('POST', '/tasks/{taskId}/release', { params: { taskId } })).status).toBe(200);
});
