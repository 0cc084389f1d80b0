// The self-healing suite (lib/engine/testing/self-healing-suite.ts) with the console's records in PostgreSQL:
// checkpoints, statuses and logs written by the manager and by a console process killed -9 and replaced.
import { afterAll } from 'vitest';
import { createTestPostgresDatabase } from '@/lib/db/testing/postgres-database';

const database = await createTestPostgresDatabase('healing');
process.env.DATABASE_URL = database.url;
afterAll(() => database.drop());
await import('./testing/self-healing-suite');
