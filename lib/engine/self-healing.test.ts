// The self-healing suite (lib/engine/testing/self-healing-suite.ts) on the default database, SQLite.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

process.env.DATABASE_URL = `file:${path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'dts-healing-db-')), 'dts.db')}`;
await import('./testing/self-healing-suite');
