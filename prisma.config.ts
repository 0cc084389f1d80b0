import path from 'node:path';
import { defineConfig } from 'prisma/config';

// The CLI's view of the database; the app resolves the same default in lib/db/url.ts.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: {
    url: process.env.DATABASE_URL ?? `file:${path.join(import.meta.dirname, 'data', 'dts.db')}`,
  },
});
