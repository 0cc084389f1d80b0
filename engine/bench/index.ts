/**
 * `npm run bench [-- name…]`: the engine's benchmarks. Each prints its figures
 * and, where the goal is relative, the ratio against native Redis measured in
 * the same run. Names: rdb-parse, resp, sync, scan (default: all).
 */
import { HARNESS_ROOT, reapAll } from '../testing/redis-server';

type Bench = { run: (log: (line: string) => void) => Promise<void> };

const BENCHES: Record<string, () => Promise<Bench>> = {
  'rdb-parse': () => import('./rdb-parse'),
  resp: () => import('./resp'),
  sync: () => import('./sync'),
  scan: () => import('./scan'),
};

async function main(): Promise<number> {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const names = wanted.length > 0 ? wanted : Object.keys(BENCHES);
  const unknown = names.filter((n) => !(n in BENCHES));
  if (unknown.length > 0) {
    console.error(`unknown benchmark(s): ${unknown.join(', ')}; choose from ${Object.keys(BENCHES).join(', ')}`);
    return 2;
  }
  process.on('exit', () => reapAll());
  console.log(`redis-dts benchmarks (${new Date().toISOString()}, node ${process.version}, servers under ${HARNESS_ROOT})`);
  for (const name of names) {
    console.log(`\n## ${name}`);
    const t0 = performance.now();
    await (await BENCHES[name]()).run((line) => console.log(line));
    console.log(`(${name}: ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
  return 0;
}

main().then((code) => process.exit(code), (err: unknown) => {
  console.error(err);
  process.exit(1);
});
