/**
 * The product's Database Password field: `<password>` for the default user or
 * `<user>:<password>` for an ACL user (split at the first colon).
 */
export interface Credentials {
  username?: string;
  password?: string;
}

export function parseCredentials(raw: string | undefined | null): Credentials {
  if (!raw) return {};
  const colon = raw.indexOf(':');
  if (colon > 0) return { username: raw.slice(0, colon), password: raw.slice(colon + 1) };
  return { password: colon === 0 ? raw.slice(1) : raw };
}

/** The inverse, for a stored username + password pair. */
export function formatCredentials(c: Credentials): string | undefined {
  if (!c.password && !c.username) return undefined;
  return c.username ? `${c.username}:${c.password ?? ''}` : c.password;
}
