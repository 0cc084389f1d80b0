import fs from 'node:fs';
import path from 'node:path';

/** Where the console keeps its records: a SQLite file (the default, one machine) or a PostgreSQL database. */
export type DatabaseConfig =
  | { provider: 'sqlite'; file: string }
  | { provider: 'postgresql'; url: string };

/**
 * `DATABASE_URL`: a `file:` URL (SQLite) or a `postgresql://`/`postgres://` URL; unset, data/dts.db under
 * the working directory. A SQLite path is made absolute and its folder created (private: see privateDirectory).
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
  privateDirectory(path.dirname(file));
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
  return privateDirectory(dir);
}

/**
 * The data folder holds the database, the keys that decrypt the stored Redis passwords and the engines'
 * spool: only the console's own user may enter it. Created 0700; a folder of its own left open by an
 * earlier version (0755) loses its group and other permissions.
 */
export function privateDirectory(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  ownerOnly(dir);
  return dir;
}

/**
 * A SQLite database file the console's user alone can read: created 0600 before SQLite opens it (its
 * -wal, -shm and -journal files take the database's mode), and an existing one and those files tightened.
 */
export function privateDatabaseFile(file: string): void {
  fs.closeSync(fs.openSync(file, 'a', 0o600));
  for (const f of [file, `${file}-wal`, `${file}-shm`, `${file}-journal`]) ownerOnly(f);
}

const warned = new Set<string>();

function warnOnce(p: string, text: string): void {
  if (warned.has(p)) return;
  warned.add(p);
  console.warn(`redis-dts: ${text}`);
}

/**
 * Takes group and other permissions away from `p` (when it exists and they are set). A shared folder —
 * sticky or writable by everyone, like /tmp — or one of another user is left as it is, with a warning:
 * it is not the console's own.
 */
function ownerOnly(p: string): void {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(p);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const mode = stat.mode & 0o7777;
  if ((mode & 0o077) === 0) return;
  const shared = (mode & 0o1000) !== 0 || (mode & 0o002) !== 0 || (process.getuid !== undefined && stat.uid !== process.getuid());
  if (shared) {
    warnOnce(p, `${p} is readable by other users (mode ${mode.toString(8)}) and is not the console's own; give the console a folder of its own (DTS_DATA_DIR)`);
    return;
  }
  try {
    fs.chmodSync(p, mode & 0o700);
  } catch (err) {
    warnOnce(p, `cannot restrict ${p} to its owner (mode ${mode.toString(8)}): ${(err as Error).message}`);
  }
}
