/**
 * A case-insensitive "contains" filter for text columns, the same on both providers: SQLite's LIKE is
 * already case-insensitive (ASCII), PostgreSQL's is not and needs Prisma's `mode: 'insensitive'` (ILIKE),
 * which the SQLite client refuses — so the provider decides, here and nowhere else.
 */
import { databaseConfig, type DatabaseConfig } from './url';

export function containsText(search: string, config: DatabaseConfig = databaseConfig()): { contains: string } {
  if (config.provider === 'postgresql') return { contains: search, mode: 'insensitive' } as { contains: string };
  return { contains: search };
}
