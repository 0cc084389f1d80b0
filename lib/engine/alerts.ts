/**
 * Monitoring and Alerting (the task's advanced setting): a synchronization delay above
 * the task's latency threshold, and a status that needs a person (Retrying, Failed), are
 * raised once per episode — written to the task's log as an alert and, when
 * DTS_ALERT_WEBHOOK_URL is set, POSTed there as JSON — and the delay alert is cleared
 * the same way once the delay is back under the threshold.
 */
import type { TaskStatus } from '@/lib/tasks/status';
import { STATUS_LABEL } from '@/lib/tasks/status';

export interface MonitoringSettings {
  enabled: boolean;
  delayThresholdSeconds: number;
  statusAlert: boolean;
}

export interface TaskAlert {
  taskId: string;
  taskName: string;
  kind: 'delay' | 'delay-cleared' | 'status';
  level: 'warn' | 'error' | 'info';
  message: string;
  at: string;
}

/** Statuses a status alert is raised for. */
const ABNORMAL: readonly TaskStatus[] = ['Retrying', 'Failed'];

/** A delay alert clears below this share of the threshold, so a delay hovering at it does not flap. */
const CLEAR_RATIO = 0.8;

export interface AlertTask {
  id: string;
  name: string;
  monitoring: MonitoringSettings;
}

export class TaskAlerts {
  /** Tasks whose delay alert is raised. */
  private readonly delayed = new Set<string>();
  /** The last status alerted per task, so one episode alerts once. */
  private readonly alertedStatus = new Map<string, TaskStatus>();

  constructor(private readonly deliver: (alert: TaskAlert) => Promise<void>) {}

  /** A new delay measurement of a running task. */
  async delay(task: AlertTask, delayMs: number | null): Promise<void> {
    const m = task.monitoring;
    if (!m.enabled || delayMs === null) return;
    const limitMs = m.delayThresholdSeconds * 1000;
    if (!this.delayed.has(task.id) && delayMs > limitMs) {
      this.delayed.add(task.id);
      await this.raise(task, 'delay', 'warn',
        `synchronization delay ${seconds(delayMs)} is above the alert threshold of ${m.delayThresholdSeconds} s`);
    } else if (this.delayed.has(task.id) && delayMs < limitMs * CLEAR_RATIO) {
      this.delayed.delete(task.id);
      await this.raise(task, 'delay-cleared', 'info',
        `synchronization delay is back under the alert threshold (${seconds(delayMs)} < ${m.delayThresholdSeconds} s)`);
    }
  }

  /** The task's status changed. */
  async status(task: AlertTask, status: TaskStatus, reason?: string): Promise<void> {
    const m = task.monitoring;
    if (!ABNORMAL.includes(status)) {
      this.alertedStatus.delete(task.id);
      if (status !== 'Running') this.delayed.delete(task.id);
      return;
    }
    if (!m.enabled || !m.statusAlert || this.alertedStatus.get(task.id) === status) return;
    this.alertedStatus.set(task.id, status);
    await this.raise(task, 'status', status === 'Failed' ? 'error' : 'warn',
      `the task is ${STATUS_LABEL[status]}${reason ? `: ${reason}` : ''}`);
  }

  forget(taskId: string): void {
    this.delayed.delete(taskId);
    this.alertedStatus.delete(taskId);
  }

  private raise(task: AlertTask, kind: TaskAlert['kind'], level: TaskAlert['level'], message: string): Promise<void> {
    return this.deliver({ taskId: task.id, taskName: task.name, kind, level, message, at: new Date().toISOString() });
  }
}

/** What the details page and the list show while it holds: the alerts a task's stored state raises now. */
export function activeAlerts(monitoring: MonitoringSettings, status: TaskStatus, delayMs: number | null): string[] {
  if (!monitoring.enabled) return [];
  const out: string[] = [];
  if (monitoring.statusAlert && ABNORMAL.includes(status)) out.push(`The task is ${STATUS_LABEL[status]}.`);
  if (status === 'Running' && delayMs !== null && delayMs > monitoring.delayThresholdSeconds * 1000) {
    out.push(`Synchronization delay ${seconds(delayMs)} is above the alert threshold of ${monitoring.delayThresholdSeconds} s.`);
  }
  return out;
}

/**
 * Sends alerts to the webhook named by DTS_ALERT_WEBHOOK_URL (if any) as a JSON POST.
 * Returns why a delivery failed, for the task's log; never throws.
 */
export async function postToWebhook(alert: TaskAlert, url = process.env.DTS_ALERT_WEBHOOK_URL): Promise<string | undefined> {
  if (!url) return undefined;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alert),
      signal: AbortSignal.timeout(5_000),
    });
    return res.ok ? undefined : `the alert webhook answered HTTP ${res.status}`;
  } catch (err) {
    return `the alert webhook could not be reached: ${err instanceof Error ? err.message : String(err)}`;
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
