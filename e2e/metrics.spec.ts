/**
 * Prometheus /metrics against the real console: read with an API token, parsed by a
 * Prometheus text parser; every series of a task exists from its creation (zero);
 * and the lag figures of a running task move when the link to the source is
 * partitioned (a ChaosProxy between the console and the source), then recover.
 */
import { expect, test } from '@playwright/test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { ChaosProxy } from '../engine/testing/chaos-proxy';
import { ApiClient, endpointInput, tokenCli } from './testing/api-client';
import { useServerPair } from './testing/journey';

test.describe.configure({ mode: 'serial' });

const servers = useServerPair();
let ops: ApiClient;
let scraper: ApiClient;
let proxy: ChaosProxy | undefined;

test.beforeAll(async () => {
  ops = await ApiClient.open(tokenCli(['create', '--user', 'admin', '--name', 'metrics-ops', '--role', 'operator']));
  scraper = await ApiClient.open(tokenCli(['create', '--user', 'admin', '--name', 'prometheus', '--role', 'viewer']));
});

test.afterAll(async () => {
  await Promise.all([ops?.close(), scraper?.close(), proxy?.close()]);
});

interface Sample { value: number; labels: Record<string, string> }

async function scrape(): Promise<Map<string, { type: string; samples: Sample[] }>> {
  const res = await scraper.raw('/metrics');
  expect(res.status).toBe(200);
  const families = parsePrometheusTextFormat(res.text) as { name: string; type: string; metrics: { value?: string; labels?: Record<string, string> }[] }[];
  return new Map(families.map((f) => [f.name, { type: f.type, samples: f.metrics.map((m) => ({ value: Number(m.value), labels: m.labels ?? {} })) }]));
}

function value(m: Map<string, { samples: Sample[] }>, name: string, labels: Record<string, string>): number | undefined {
  return m.get(name)?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

async function createTask(name: string, sourcePort: number, targetPort: number): Promise<string> {
  const r = await ops.call('POST', '/tasks', {
    body: {
      region: 'local', name, source: endpointInput(sourcePort), target: endpointInput(targetPort), syncTypes: 'full+incremental',
      conflictMode: 'block', objects: { dbs: [{ db: 0, targetDb: 0 }] }, advanced: {}, verification: { full: { enabled: false } },
    },
  });
  expect(r.status, JSON.stringify(r.json)).toBe(201);
  return r.json.task.id;
}

test('every series of a task exists from its creation, at zero', async () => {
  const { source, target } = servers();
  const id = await createTask('metrics-idle', source.port, target.port);
  const m = await scrape();
  for (const name of ['dts_commands_applied_total', 'dts_source_read_bytes_total', 'dts_destination_errors_total', 'dts_destination_retries_total']) {
    expect(m.get(name)?.type, name).toBe('COUNTER');
    expect(value(m, name, { task_id: id }), name).toBe(0);
  }
  expect(value(m, 'dts_task_status', { task_id: id, status: 'NotStarted' })).toBe(1);
  expect(value(m, 'dts_task_status', { task_id: id, status: 'Running' })).toBe(0);
  expect(value(m, 'dts_full_migration_keys_done', { task_id: id })).toBe(0);
  expect(value(m, 'dts_spool_bytes', { task_id: id })).toBe(0);
  expect(value(m, 'dts_verification_differences', { task_id: id, kind: 'full' })).toBe(0);
  expect(value(m, 'dts_task_engine_running', { task_id: id })).toBe(0);
  expect(Number.isNaN(value(m, 'dts_replication_lag_seconds', { task_id: id }))).toBe(true);
  expect((await ops.call('POST', '/tasks/{taskId}/release', { params: { taskId: id } })).status).toBe(200);
});

test('the lag figures move when the source link is partitioned, and recover when it heals', async () => {
  test.setTimeout(180_000);
  const { source, target } = servers();
  proxy = await ChaosProxy.start(source.port);
  const src = source.client();
  const dst = target.client();
  try {
    await src.set('metrics:seed', '1');
    const id = await createTask('metrics-lag', proxy.port, target.port);
    const started = await ops.call('POST', '/tasks/{taskId}/start', { params: { taskId: id } });
    expect(started.status, JSON.stringify(started.json)).toBe(200);
    await expect.poll(async () => (await ops.call('GET', '/tasks/{taskId}', { params: { taskId: id } })).json.task.status, { timeout: 90_000 }).toBe('Running');
    await src.set('metrics:live', '1');
    await expect.poll(() => dst.get('metrics:live'), { timeout: 30_000 }).toBe('1');

    const shard = `127.0.0.1:${proxy.port}`;
    const at = { task_id: id, shard };
    // Connected: both lags are known and small, the stream's counters count.
    await expect.poll(async () => {
      const m = await scrape();
      return { up: value(m, 'dts_source_up', at), lagBytesKnown: Number.isFinite(value(m, 'dts_replication_lag_bytes', at)), lagSecondsKnown: Number.isFinite(value(m, 'dts_replication_lag_seconds', at)) };
    }, { timeout: 30_000 }).toEqual({ up: 1, lagBytesKnown: true, lagSecondsKnown: true });
    let m = await scrape();
    const before = value(m, 'dts_replication_lag_seconds', at)!;
    expect(before).toBeLessThan(5);
    expect(value(m, 'dts_commands_applied_total', at)).toBeGreaterThan(0);
    expect(value(m, 'dts_source_read_bytes_total', at)).toBeGreaterThan(0);
    expect(value(m, 'dts_task_status', { task_id: id, status: 'Running' })).toBe(1);

    // Partitioned: no heartbeat comes through, so the delay grows; the source cannot be asked for its offset.
    proxy.partition();
    await src.set('metrics:during', '1');
    await expect.poll(async () => value(await scrape(), 'dts_replication_lag_seconds', at) ?? 0, { timeout: 60_000 }).toBeGreaterThan(before + 5);
    m = await scrape();
    expect(value(m, 'dts_source_up', at)).toBe(0);
    expect(Number.isNaN(value(m, 'dts_replication_lag_bytes', at))).toBe(true);

    // Healed: the stream catches up, the delay falls back, the byte lag is known again.
    proxy.heal();
    await expect.poll(() => dst.get('metrics:during'), { timeout: 60_000 }).toBe('1');
    await expect.poll(async () => {
      const s = await scrape();
      return { up: value(s, 'dts_source_up', at), lagBytesKnown: Number.isFinite(value(s, 'dts_replication_lag_bytes', at)), caughtUp: (value(s, 'dts_replication_lag_seconds', at) ?? 99) < 5 };
    }, { timeout: 60_000 }).toEqual({ up: 1, lagBytesKnown: true, caughtUp: true });

    expect((await ops.call('POST', '/tasks/{taskId}/end', { params: { taskId: id } })).status).toBe(200);
    expect((await ops.call('POST', '/tasks/{taskId}/release', { params: { taskId: id } })).status).toBe(200);
  } finally {
    src.disconnect();
    dst.disconnect();
  }
});
