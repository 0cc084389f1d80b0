/**
 * `npm run token -- create --user admin --name ci [--role viewer|operator|admin] [--expires 30d]`:
 * provisioning from the console's host, against the same database as the console
 * (DATABASE_URL). Prints the token alone on stdout; anything else goes to stderr.
 * `list --user admin` and `revoke --user admin --id <id>` manage them.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { recordAudit } from '@/lib/audit';
import { db, migrateDatabase } from '@/lib/db/client';
import { createApiToken, expirySchema, listApiTokens, revokeApiToken, TokenError } from './api-tokens';
import { ROLES } from './roles';

export const TOKEN_USAGE = `usage:
  npm run token -- create --user <username> --name <name> [--role viewer|operator|admin] [--expires 30d|12h|90m]
  npm run token -- list --user <username>
  npm run token -- revoke --user <username> --id <token id>`;

export class TokenUsageError extends Error {}

const createArgs = z.object({
  user: z.string().min(1, '--user is required'),
  name: z.string().min(1, '--name is required'),
  role: z.enum(ROLES).optional(),
  expires: expirySchema.optional(),
});

/** Runs the command; resolves with what goes to stdout. */
export async function runTokenCli(argv: string[]): Promise<string> {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: rest, strict: true,
    options: { user: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, expires: { type: 'string' }, id: { type: 'string' } },
  });
  await migrateDatabase();
  const username = values.user;
  if (!username) throw new TokenUsageError('--user is required');
  const user = await db().user.findUnique({ where: { username } });
  if (!user) throw new TokenUsageError(`No user ${username}.`);
  const actor = { id: user.id, username: user.username };
  switch (command) {
    case 'create': {
      const parsed = createArgs.safeParse(values);
      if (!parsed.success) throw new TokenUsageError(parsed.error.issues.map((i) => i.message).join('; '));
      const role = parsed.data.role ?? (ROLES.find((r) => r === user.role) ?? 'viewer');
      const created = await createApiToken(db(), user.id, { name: parsed.data.name, role, expiresInMs: parsed.data.expires });
      await recordAudit({
        actor, action: 'token.create', target: { type: 'token', id: created.id, name: created.name },
        detail: `role ${role}${created.expiresAt ? `, expires ${created.expiresAt.toISOString()}` : ', no expiry'} (command line)`, address: 'command line',
      });
      return created.token;
    }
    case 'list':
      return (await listApiTokens(db(), user.id))
        .map((t) => `${t.id}\t${t.name}\t${t.role}\t${t.state}\t${t.prefix}…\texpires ${t.expiresAt ?? 'never'}\tlast used ${t.lastUsedAt ?? 'never'}`).join('\n');
    case 'revoke': {
      if (!values.id) throw new TokenUsageError('--id is required');
      const revoked = await revokeApiToken(db(), user.id, values.id);
      if (!revoked) throw new TokenUsageError(`${username} has no active token ${values.id}.`);
      await recordAudit({ actor, action: 'token.revoke', target: { type: 'token', id: values.id, name: revoked.name }, detail: '(command line)', address: 'command line' });
      return `revoked ${values.id} (${revoked.name})`;
    }
    default:
      throw new TokenUsageError(command ? `Unknown command ${command}.` : 'Name a command.');
  }
}

export function tokenCliError(err: unknown): string {
  if (err instanceof TokenUsageError) return `${err.message}\n${TOKEN_USAGE}`;
  if (err instanceof TokenError) return err.message;
  if (err instanceof Error && 'code' in err && String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) return `${err.message}\n${TOKEN_USAGE}`;
  return err instanceof Error ? err.message : String(err);
}
