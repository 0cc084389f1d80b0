/**
 * Whether an error is the database not answering (a restart, a fail-over, connections dropped) rather
 * than a refusal of the write itself: such a write is worth trying again in a moment.
 */
export function databaseUnreachable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const code = (err as { code?: unknown }).code;
  // Prisma's own codes: P1001 can't reach the server, P1002 timed out, P1017 server closed the connection.
  if (typeof code === 'string' && ['P1001', 'P1002', 'P1017', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE'].includes(code)) return true;
  // PostgreSQL's (as the pg adapter passes them on): 57P01-57P03 shutdown, 08xxx connection exceptions.
  return /\b(57P0[123]|08(000|001|003|004|006))\b|terminating connection|Connection terminated|Can't reach database server|ECONNREFUSED|ECONNRESET/.test(err.message);
}
