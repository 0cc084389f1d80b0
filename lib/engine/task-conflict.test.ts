import { describe, expect, it } from 'vitest';
import { syncOptionsFor, type TaskRecord } from './task-options';

const endpoint = JSON.stringify({ host: '127.0.0.1', port: 7000, authMethod: 'password-free' });
const base: TaskRecord = {
  id: 'dtsconflict', syncTypes: 'full+incremental', conflictMode: 'block', instanceClass: 'large',
  source: endpoint, target: endpoint, objects: '{}', advanced: '{}',
};
const precheck = (ignored: boolean) => JSON.stringify({
  runId: 'r', startedAt: '2026-11-25T00:00:00.000Z', finishedAt: '2026-11-25T00:00:01.000Z',
  items: [{ id: 'target-existence', name: 'Destination Object Data Existence Check', status: 'failed', reason: 'DB 0 holds keys', details: [], ignorable: true, ignored }],
});

describe('the conflict mode the engine gets', () => {
  it('blocks on existing keys unless the user ignored the existence check, which means overwrite', () => {
    expect(syncOptionsFor(base).conflict).toBe('block');
    expect(syncOptionsFor({ ...base, precheck: precheck(false) }).conflict).toBe('block');
    expect(syncOptionsFor({ ...base, precheck: precheck(true) }).conflict).toBe('overwrite');
    expect(syncOptionsFor({ ...base, conflictMode: 'ignore' }).conflict).toBe('overwrite');
  });
});
