import fs from 'node:fs';
import path from 'node:path';

/** Where the console keeps its records: a SQLite file (the default, one machine) or a PostgreSQL database. */
export type DatabaseConfig =
  | { provider: 'sqlite'; file: string }
  | { provider: 'postgresql'; url: string };

/**
 * `DATABASE_URL`: a `file:` URL (SQLite) or a `postgresql://`/`postgres://` URL; unset, data/dts.db under
 * the working directory. A SQLite path is made absolute and its folder created.
 */
export function databaseConfig(env: NodeJS.ProcessEnv = process.env): DatabaseConfig {
  const url = env.DATABASE_URL;
  if (url && /^postgres(ql)?:\/\//.test(url)) return { provider: 'postgresql', url };
  return { provider: 'sqlite', file: databaseFile(env) };
}

/** The SQLite file the console uses: `DATABASE_URL` (a `file:` URL) or data/dts.db. */
export function databaseFile(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL;
  let file: string;
  if (url) {
    if (!url.startsWith('file:')) {
      throw new Error(`DATABASE_URL must be a SQLite "file:" URL or a "postgresql://" URL (got "${url.split(':')[0]}:..."); e.g. file:./data/dts.db`);
    }
    file = path.resolve(url.slice('file:'.length).replace(/^\/\/(?=\/)/, ''));
  } else {
    file = path.resolve('data', 'dts.db');
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}

/**
 * The console's own folder for its keys (secret.key, session.key) and engine spool: `DTS_DATA_DIR`, else the
 * SQLite file's folder, else data/ under the working directory (PostgreSQL keeps no file of its own).
 */
export function dataDirectory(env: NodeJS.ProcessEnv = process.env): string {
  let dir: string;
  if (env.DTS_DATA_DIR) dir = path.resolve(env.DTS_DATA_DIR);
  else {
    const config = databaseConfig(env);
    dir = config.provider === 'sqlite' ? path.dirname(config.file) : path.resolve('data');
  }
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
