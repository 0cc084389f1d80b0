/**
 * Task states and the actions each allows (PRODUCT.md, "States and actions").
 * Stored as stable codes; shown with the product's labels.
 */
export const TASK_STATUSES = [
  'NotStarted', 'Prechecking', 'PrecheckPassed', 'PrecheckFailed', 'Initializing', 'FullMigration',
  'Running', 'Paused', 'Retrying', 'Failed', 'Completed', 'Ended', 'Released',
] as const;

export type TaskStatus = (typeof TASK_STATUSES)[number];

export const STATUS_LABEL: Record<TaskStatus, string> = {
  NotStarted: 'Not Started',
  Prechecking: 'Prechecking',
  PrecheckPassed: 'Precheck Passed',
  PrecheckFailed: 'Precheck Failed',
  Initializing: 'Initializing',
  FullMigration: 'Performing Full Data Migration',
  Running: 'Running',
  Paused: 'Paused',
  Retrying: 'Retrying',
  Failed: 'Failed',
  Completed: 'Completed',
  Ended: 'Ended',
  Released: 'Released',
};

export type StatusTone = 'neutral' | 'progress' | 'ok' | 'warn' | 'error';

export const STATUS_TONE: Record<TaskStatus, StatusTone> = {
  NotStarted: 'neutral',
  Prechecking: 'progress',
  PrecheckPassed: 'ok',
  PrecheckFailed: 'error',
  Initializing: 'progress',
  FullMigration: 'progress',
  Running: 'ok',
  Paused: 'warn',
  Retrying: 'warn',
  Failed: 'error',
  Completed: 'ok',
  Ended: 'neutral',
  Released: 'neutral',
};

export type TaskAction = 'start' | 'pause' | 'edit' | 'end' | 'release' | 'clone';

/** States in which an engine runs the task (a precheck runs in the console, and ends by itself). */
const RUNNING: TaskStatus[] = ['Initializing', 'FullMigration', 'Running', 'Retrying'];

export const ACTIONS_ALLOWED: Record<TaskAction, readonly TaskStatus[]> = {
  start: ['NotStarted', 'PrecheckPassed', 'Paused', 'Failed'],
  pause: ['Running'],
  edit: ['NotStarted', 'PrecheckPassed', 'PrecheckFailed'],
  end: [...RUNNING, 'Paused'],
  release: ['Ended', 'Completed', 'Failed', 'Paused', 'NotStarted'],
  clone: TASK_STATUSES,
};

/** States in which the synchronization delay means something (the stream is being replayed or held). */
export function hasLiveDelay(status: TaskStatus): boolean {
  return status === 'Running' || status === 'Paused' || status === 'Retrying';
}

export function isTaskStatus(value: unknown): value is TaskStatus {
  return typeof value === 'string' && (TASK_STATUSES as readonly string[]).includes(value);
}

export function canPerform(action: TaskAction, status: TaskStatus): boolean {
  return ACTIONS_ALLOWED[action].includes(status);
}
