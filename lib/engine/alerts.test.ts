import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { activeAlerts, postToWebhook, TaskAlerts, type AlertTask, type TaskAlert } from './alerts';

const on = { enabled: true, delayThresholdSeconds: 10, statusAlert: true };
const task: AlertTask = { id: 'dtsalert1', name: 'cache copy', monitoring: on };

function recorder(): { alerts: TaskAlert[]; engine: TaskAlerts } {
  const alerts: TaskAlert[] = [];
  return { alerts, engine: new TaskAlerts(async (a) => void alerts.push(a)) };
}

describe('Monitoring and Alerting', () => {
  it('raises a delay alert once per episode and clears it under 80 % of the threshold', async () => {
    const { alerts, engine } = recorder();
    for (const d of [2_000, 12_000, 15_000, 9_000, 8_500, 7_000, 11_000]) await engine.delay(task, d);
    expect(alerts.map((a) => [a.kind, a.message])).toEqual([
      ['delay', 'synchronization delay 12 s is above the alert threshold of 10 s'],
      ['delay-cleared', 'synchronization delay is back under the alert threshold (7.0 s < 10 s)'],
      ['delay', 'synchronization delay 11 s is above the alert threshold of 10 s'],
    ]);
    expect(alerts.every((a) => a.taskId === 'dtsalert1' && a.taskName === 'cache copy')).toBe(true);
  });

  it('raises a status alert for Retrying and Failed once each, and nothing when monitoring is off', async () => {
    const { alerts, engine } = recorder();
    await engine.status(task, 'Running');
    await engine.status(task, 'Retrying');
    await engine.status(task, 'Retrying');
    await engine.status(task, 'Failed', 'the destination ran out of memory (OOM)');
    await engine.status(task, 'Running');
    await engine.status(task, 'Retrying');
    expect(alerts.map((a) => [a.level, a.message])).toEqual([
      ['warn', 'the task is Retrying'],
      ['error', 'the task is Failed: the destination ran out of memory (OOM)'],
      ['warn', 'the task is Retrying'],
    ]);
    const off = recorder();
    const quiet: AlertTask = { ...task, monitoring: { ...on, enabled: false } };
    await off.engine.delay(quiet, 60_000);
    await off.engine.status(quiet, 'Failed');
    await off.engine.status({ ...task, monitoring: { ...on, statusAlert: false } }, 'Failed');
    expect(off.alerts).toEqual([]);
  });

  it('says which alerts a stored task state holds', () => {
    expect(activeAlerts(on, 'Running', 12_000)).toEqual(['Synchronization delay 12 s is above the alert threshold of 10 s.']);
    expect(activeAlerts(on, 'Running', 9_000)).toEqual([]);
    expect(activeAlerts(on, 'Failed', null)).toEqual(['The task is Failed.']);
    expect(activeAlerts({ ...on, enabled: false }, 'Failed', 99_000)).toEqual([]);
  });

  it('POSTs an alert to the webhook as JSON and reports a failing webhook in words', async () => {
    const received: unknown[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ method: req.method, type: req.headers['content-type'], body: JSON.parse(body) as unknown });
        res.statusCode = req.url === '/broken' ? 500 : 204;
        res.end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const alert: TaskAlert = { taskId: 't', taskName: 'n', kind: 'status', level: 'error', message: 'the task is Failed', at: '2026-11-25T00:00:00.000Z' };
      expect(await postToWebhook(alert, `${base}/hook`)).toBeUndefined();
      expect(received).toEqual([{ method: 'POST', type: 'application/json', body: alert }]);
      expect(await postToWebhook(alert, `${base}/broken`)).toBe('the alert webhook answered HTTP 500');
      expect(await postToWebhook(alert, undefined)).toBeUndefined();
    } finally {
      server.close();
    }
    expect(await postToWebhook({ taskId: 't', taskName: 'n', kind: 'status', level: 'error', message: 'x', at: '' }, base))
      .toMatch(/^the alert webhook could not be reached/);
  });
});
