import fs from 'node:fs';
import path from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { createTaskBodySchema, findOperation, OPERATIONS } from './operations';
import { buildOpenApi } from './openapi';

const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** The route files under app/api/v1, as path templates ({param} for [param]). */
function routeFiles(dir = path.join(ROOT, 'app/api/v1'), prefix = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) out.push(...routeFiles(path.join(dir, e.name), `${prefix}/${e.name.replace(/^\[(\w+)\]$/, '{$1}')}`));
    else if (e.name === 'route.ts') out.push(prefix || '/');
  }
  return out;
}

describe('OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document', async () => {
    const doc = buildOpenApi('http://127.0.0.1:3000');
    const validator = new Validator();
    const result = await validator.validate(doc as never);
    expect(result.errors ?? [], JSON.stringify(result.errors, null, 1)).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has every operation, with its body generated from the wizard\'s schema', () => {
    const doc = buildOpenApi();
    for (const op of OPERATIONS) expect(doc.paths[op.path]?.[op.method.toLowerCase()], `${op.method} ${op.path}`).toBeTruthy();
    const draft = doc.components.schemas as Record<string, { properties: Record<string, { properties?: Record<string, unknown> }>; required?: string[] }>;
    expect(Object.keys(draft.TaskDraft.properties).sort()).toEqual(Object.keys(createTaskBodySchema.shape).sort());
    expect(draft.TaskDraft.properties.advanced.properties).toHaveProperty('retryOtherMinutes');
    expect(draft.TaskDraft.required).toEqual(expect.arrayContaining(['name', 'source', 'target']));
    expect(draft.TaskDraft.required).not.toContain('taskId');
  });

  it('names a route file for every operation, and an operation for every route file but the catch-all', () => {
    const files = new Set(routeFiles());
    const served = (template: string) => files.has(template) || files.has(template.replace(/\/(start|pause|resume|end|release|clone)$/, '/{action}'));
    for (const op of OPERATIONS) expect(served(op.path), op.path).toBe(true);
    for (const f of files) {
      if (f === '/{rest}' || f.endsWith('/[...rest]') || f === '/[...rest]') continue;
      expect(OPERATIONS.some((o) => o.path === f || o.path.replace(/\/(start|pause|resume|end|release|clone)$/, '/{action}') === f), f).toBe(true);
    }
  });

  it('finds the operation of a request by method and path', () => {
    expect(findOperation('POST', '/tasks/dtsabc/start')).toMatchObject({ op: { id: 'startTask' }, params: { taskId: 'dtsabc' } });
    expect(findOperation('POST', '/tasks/dtsabc/verifications/stop')).toMatchObject({ op: { id: 'stopVerification' } });
    expect(findOperation('GET', '/tasks/dtsabc/verifications/run1')).toMatchObject({ op: { id: 'getVerification' }, params: { runId: 'run1' } });
    expect(findOperation('DELETE', '/tasks/dtsabc')).toBe('method');
    expect(findOperation('POST', '/tasks/dtsabc/explode')).toBeNull();
  });
});
