import { describe, expect, it } from 'vitest';
import { canPerform, TASK_STATUSES, type TaskAction, type TaskStatus } from './status';

/** PRODUCT.md, "States and actions". */
const ALLOWED: Record<TaskAction, TaskStatus[]> = {
  start: ['NotStarted', 'PrecheckPassed', 'Paused', 'Failed'],
  pause: ['Running'],
  edit: ['NotStarted', 'PrecheckPassed', 'PrecheckFailed'],
  // "any running or paused state": the states in which an engine runs the task. A precheck is not one:
  // it runs in the console and decides the status itself when it finishes.
  end: ['Initializing', 'FullMigration', 'Running', 'Retrying', 'Paused'],
  release: ['Ended', 'Completed', 'Failed', 'Paused', 'NotStarted'],
  clone: [...TASK_STATUSES],
};

describe('task actions by state', () => {
  it('allow exactly what PRODUCT.md lists', () => {
    for (const [action, states] of Object.entries(ALLOWED) as [TaskAction, TaskStatus[]][]) {
      for (const status of TASK_STATUSES) expect(canPerform(action, status), `${action} from ${status}`).toBe(states.includes(status));
    }
  });
});
