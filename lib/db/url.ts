import fs from 'node:fs';
import path from 'node:path';

/**
 * The SQLite file the console uses: `DATABASE_URL` (a `file:` URL) or data/dts.db
 * under the working directory. Returns an absolute path; creates its folder.
 */
export function databaseFile(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL;
  let file: string;
  if (url) {
    if (!url.startsWith('file:')) {
      throw new Error(`DATABASE_URL must be a SQLite "file:" URL (got "${url.split(':')[0]}:..."); e.g. file:./data/dts.db`);
    }
    file = path.resolve(url.slice('file:'.length).replace(/^\/\/(?=\/)/, ''));
  } else {
    file = path.resolve('data', 'dts.db');
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  return file;
}
