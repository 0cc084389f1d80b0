/**
 * Builds a do-nothing Redis module (gcc) so tests can load one with --loadmodule.
 * Written without redismodule.h: the module context's first field is the API lookup.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const SOURCE = `
typedef struct RedisModuleCtx RedisModuleCtx;
typedef int (*GetApiFn)(const char *, void *);
static int (*SetModuleAttribs)(RedisModuleCtx *, const char *, int, int);
int RedisModule_OnLoad(RedisModuleCtx *ctx, void **argv, int argc) {
  (void)argv; (void)argc;
  GetApiFn getapi = (GetApiFn)(((void **)ctx)[0]);
  if (getapi("RedisModule_SetModuleAttribs", (void *)&SetModuleAttribs) != 0) return 1;
  SetModuleAttribs(ctx, "dtsprobe", 1, 1);
  return 0;
}
`;

/** Path of the built module .so, and a cleanup. */
export function buildProbeModule(): { file: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dts-module-'));
  const src = path.join(dir, 'probe.c');
  const file = path.join(dir, 'probe.so');
  fs.writeFileSync(src, SOURCE);
  const res = spawnSync('gcc', ['-shared', '-fPIC', '-O0', '-o', file, src], { encoding: 'utf8' });
  if (res.error || res.status !== 0) {
    throw new Error(`gcc could not build the probe module (install the Debian package gcc):\n${res.error?.message ?? res.stderr}`);
  }
  return { file, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
