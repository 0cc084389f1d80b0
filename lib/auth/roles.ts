/**
 * Roles and what each may do. Safe to import from client components: the UI
 * hides what a role cannot do, and the server refuses it anyway (lib/auth/guard.ts).
 */
export const ROLES = ['admin', 'operator', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABEL: Record<Role, string> = { admin: 'Admin', operator: 'Operator', viewer: 'Viewer' };

export const ROLE_SUMMARY: Record<Role, string> = {
  admin: 'everything, including users',
  operator: 'create, start, pause, end, release and change tasks; manage instances',
  viewer: 'read only',
};

/**
 * - `view`: read pages, task state, logs and the audit trail (every role).
 * - `operate`: create, change, start, pause, end, release, clone and upgrade tasks; manage instances.
 * - `manage-users`: the Users page.
 */
export type Ability = 'view' | 'operate' | 'manage-users';

const ABILITIES: Record<Role, readonly Ability[]> = {
  admin: ['view', 'operate', 'manage-users'],
  operator: ['view', 'operate'],
  viewer: ['view'],
};

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value);
}

/** Whether `role` may do `ability`; an unknown role may do nothing. */
export function can(role: string | null | undefined, ability: Ability): boolean {
  return isRole(role) && ABILITIES[role].includes(ability);
}

const ABILITY_WORDS: Record<Ability, string> = {
  view: 'use the console',
  operate: 'change tasks or instances',
  'manage-users': 'manage users',
};

export function refusal(role: string, ability: Ability): string {
  const label = isRole(role) ? ROLE_LABEL[role] : role;
  return `Your role (${label}) cannot ${ABILITY_WORDS[ability]}. Ask an admin for the operator role.`;
}
