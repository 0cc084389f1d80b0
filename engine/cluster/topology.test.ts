import { describe, expect, it } from 'vitest';
import { replicaLinkProblem } from './topology';

const info = (fields: Record<string, string>) => `# Replication\r\n${Object.entries(fields).map(([k, v]) => `${k}:${v}`).join('\r\n')}\r\n`;

describe('Use Slave Node: which replica may be read', () => {
  it('only a replica whose link is up and that is not loading its own full sync', () => {
    expect(replicaLinkProblem(info({ role: 'slave', master_link_status: 'up', master_sync_in_progress: '0' }))).toBeUndefined();
    expect(replicaLinkProblem(info({ role: 'slave', master_link_status: 'down', master_sync_in_progress: '0' }))).toBe('its link to the master is down');
    expect(replicaLinkProblem(info({ role: 'slave', master_link_status: 'up', master_sync_in_progress: '1' })))
      .toBe('it is still loading its own full synchronization');
    expect(replicaLinkProblem(info({ role: 'master' }))).toBe('it is not a replica');
  });
});
