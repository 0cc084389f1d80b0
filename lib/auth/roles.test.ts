import { describe, expect, it } from 'vitest';
import { can, refusal } from './roles';

describe('roles', () => {
  it('admin does everything, operator operates, viewer only views', () => {
    expect(['view', 'operate', 'manage-users'].map((a) => can('admin', a as never))).toEqual([true, true, true]);
    expect(['view', 'operate', 'manage-users'].map((a) => can('operator', a as never))).toEqual([true, true, false]);
    expect(['view', 'operate', 'manage-users'].map((a) => can('viewer', a as never))).toEqual([true, false, false]);
    expect(can('root', 'view')).toBe(false);
    expect(can(undefined, 'view')).toBe(false);
  });

  it('says why in words', () => {
    expect(refusal('viewer', 'operate')).toBe('Your role (Viewer) cannot change tasks or instances. Ask an admin for the operator role.');
  });
});
