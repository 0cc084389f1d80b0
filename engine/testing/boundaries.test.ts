/**
 * The layering, checked on every source file's imports (part of `npm test`):
 *
 * - production code imports no test support: nothing under a `testing/` folder,
 *   in `e2e/` or a test file, and no test runner (vitest, Playwright). Test code is
 *   a `*.test.ts(x)` / `*.spec.ts(x)` file, anything under a `testing/` folder or
 *   in `e2e/`, and the two runners' configs. `engine/bench/` (a measuring tool, in
 *   neither the console nor the CLI) may use the shared harness `engine/testing/`,
 *   and production code does not import the benchmarks;
 * - a module outside `testing/` that only test code imports is test support under
 *   another name: it belongs under `testing/`;
 * - the shared helpers (`engine/testing/`) use no package's own `testing/` folder;
 * - `engine/` imports nothing of the console: not `lib/`, `app/`, `components/`,
 *   Next.js, React or Prisma — its tests included, which run without the console;
 * - `lib/`'s production code imports neither `app/` nor `components/` (a lib test
 *   may, to prove that the page's code agrees with lib's: metrics-store.test.ts
 *   runs the details page's `applyTaskEvent` over the history lib keeps).
 *
 * Imports are read with TypeScript's own pre-processor (static, type-only,
 * re-exports, dynamic `import()`, `require`; comments and strings ignored) and
 * resolved to files the way tsconfig.json does (`@/` is the repository root), so a
 * relative path, the alias and an extension-less path are one rule each, not three.
 */
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SOURCE_DIRS = ['app', 'components', 'lib', 'engine', 'e2e', 'scripts'];
const SKIP_DIRS = new Set(['node_modules', '.next', 'generated']);
const SOURCE_FILE = /\.(ts|tsx|mts|cts|js|mjs|cjs)$/;
/** Configuration of the test runners: test code, though named like none. */
const TEST_CONFIGS = new Set(['vitest.config.ts', 'playwright.config.ts']);
const TEST_RUNNERS = new Set(['vitest', '@playwright/test', 'playwright']);
const CONSOLE_PACKAGES = new Set(['next', 'react', 'react-dom']);

/** One import of one file: the specifier as written, and what it names. */
export interface Import {
  spec: string;
  /** A repository path (`engine/sync/sync-task.ts`) or, for a package, its name (`ioredis`, `@prisma/client`). */
  target: string;
  isPackage: boolean;
}

export type ImportGraph = Map<string, Import[]>;

function listSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.posix.join(dir, e.name);
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name)) walk(rel);
      } else if (SOURCE_FILE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(rel);
    }
  };
  for (const dir of SOURCE_DIRS) walk(dir);
  for (const e of fs.readdirSync(ROOT, { withFileTypes: true })) {
    if (e.isFile() && SOURCE_FILE.test(e.name) && !e.name.endsWith('.d.ts')) out.push(e.name);
  }
  return out.sort();
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

function resolveFile(base: string, known: Set<string>): string {
  const stem = base.replace(/\.(js|mjs|cjs|jsx)$/, '');
  for (const c of [base, `${stem}.ts`, `${stem}.tsx`, `${stem}.mts`, `${stem}.mjs`, `${stem}.js`, `${stem}/index.ts`, `${stem}/index.tsx`]) {
    if (known.has(c)) return c;
  }
  return base; // not a source file (a stylesheet, a generated client): the folder rules still apply to its path
}

export function readImportGraph(files = listSources()): ImportGraph {
  const known = new Set(files);
  const graph: ImportGraph = new Map();
  for (const file of files) {
    const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
    const imports: Import[] = [];
    for (const { fileName: spec } of ts.preProcessFile(text, true, true).importedFiles) {
      if (spec.startsWith('node:')) continue;
      if (spec.startsWith('@/')) imports.push({ spec, target: resolveFile(spec.slice(2), known), isPackage: false });
      else if (spec.startsWith('.')) imports.push({ spec, target: resolveFile(path.posix.join(path.posix.dirname(file), spec), known), isPackage: false });
      else imports.push({ spec, target: packageName(spec), isPackage: true });
    }
    graph.set(file, imports);
  }
  return graph;
}

const under = (file: string, dir: string) => file.startsWith(`${dir}/`);
/** Under a `testing/` folder, at any depth. */
const inTestingFolder = (file: string) => path.posix.dirname(file).split('/').includes('testing');

export function isTestCode(file: string): boolean {
  return /\.(test|spec)\.[cm]?[jt]sx?$/.test(file) || inTestingFolder(file) || under(file, 'e2e') || TEST_CONFIGS.has(file);
}

export interface Violation {
  file: string;
  /** The import that breaks the rule; none when the file itself is the breach. */
  spec?: string;
  why: string;
}

/** Every import that breaks a rule of the file's opening comment, naming the file, the import and the rule. */
export function violations(graph: ImportGraph): Violation[] {
  const found: Violation[] = [];
  const importers = new Map<string, Set<string>>();
  for (const [file, imports] of graph) {
    const bench = under(file, 'engine/bench');
    const production = !isTestCode(file);
    for (const { spec, target, isPackage } of imports) {
      const bad = (why: string) => found.push({ file, spec, why });
      if (!isPackage) {
        if (!importers.has(target)) importers.set(target, new Set());
        importers.get(target)!.add(file);
      }
      if (production && !isPackage && isTestCode(target) && !(bench && under(target, 'engine/testing'))) {
        bad(bench
          ? `test support (${target}) in the benchmarks: they may use the shared harness engine/testing/ only`
          : `test support (${target}) in production code: only tests and testing/ folders may import it`);
      }
      if (production && isPackage && TEST_RUNNERS.has(target)) bad(`a test runner (${target}) in production code`);
      if (production && !bench && !isPackage && under(target, 'engine/bench')) bad(`the benchmarks (${target}) in production code`);
      if (under(file, 'engine/testing') && !isPackage && inTestingFolder(target) && !under(target, 'engine/testing')) {
        bad(`one package's test support (${target}) in the shared engine/testing/: a helper two packages need moves there whole`);
      }
      if (under(file, 'engine')) {
        if (!isPackage && ['lib', 'app', 'components'].some((d) => under(target, d))) bad(`the console's ${target} in the engine`);
        if (isPackage && (CONSOLE_PACKAGES.has(target) || target.startsWith('@prisma/'))) bad(`${target} in the engine: it knows nothing of the console`);
      }
      if (under(file, 'lib') && production && !isPackage && ['app', 'components'].some((d) => under(target, d))) {
        bad(`${target} in lib/: pages and components call lib/, not the other way round`);
      }
    }
  }
  for (const [file, from] of importers) {
    if (!graph.has(file) || isTestCode(file)) continue;
    if ([...from].every(isTestCode)) {
      found.push({ file, why: `only test code imports it (${[...from].sort().join(', ')}): it is test support, move it under a testing/ folder` });
    }
  }
  return found;
}

const show = (v: Violation[]) => v.map((x) => (x.spec === undefined ? `${x.file}: ${x.why}` : `${x.file}: imports '${x.spec}' — ${x.why}`));

describe('import boundaries', () => {
  const graph = readImportGraph();

  it('reads every source file and resolves its imports', () => {
    expect(graph.size).toBeGreaterThan(300);
    expect(graph.get('engine/sync/testing/run-task.ts')?.map((i) => i.target)).toContain('engine/sync/sync-task.ts');
    expect(graph.get('lib/redis/connection.test.ts')?.map((i) => i.target)).toContain('engine/testing/tls-certificates.ts');
  });

  it('holds in the code as it is', () => {
    expect(show(violations(graph))).toEqual([]);
  });

  it('names the file and the import of each kind of breach', () => {
    const imp = (spec: string, target: string, isPackage = false): Import => ({ spec, target, isPackage });
    const fake: ImportGraph = new Map([
      ['engine/sync/sync-task.ts', [imp('../testing/wait', 'engine/testing/wait.ts'), imp('vitest', 'vitest', true), imp('@/lib/db', 'lib/db/index.ts')]],
      ['engine/writer/retry.ts', [imp('react', 'react', true), imp('../bench/sync', 'engine/bench/sync.ts')]],
      ['engine/bench/sync.ts', [imp('../testing/redis-server', 'engine/testing/redis-server.ts'), imp('../sync/testing/run-task', 'engine/sync/testing/run-task.ts')]],
      ['engine/testing/wait.ts', [imp('../sync/testing/run-task', 'engine/sync/testing/run-task.ts')]],
      ['engine/sync/testing/run-task.ts', [imp('../helper', 'engine/sync/helper.ts')]],
      ['engine/sync/helper.ts', []],
      ['lib/tasks/routes.ts', [imp('@/components/shell', 'components/shell.tsx')]],
      ['app/page.tsx', [imp('@/engine/testing/compare', 'engine/testing/compare.ts')]],
      ['engine/sync/full-sync.test.ts', [imp('./testing/run-task', 'engine/sync/testing/run-task.ts')]],
    ]);
    expect(show(violations(fake))).toEqual([
      "engine/sync/sync-task.ts: imports '../testing/wait' — test support (engine/testing/wait.ts) in production code: only tests and testing/ folders may import it",
      "engine/sync/sync-task.ts: imports 'vitest' — a test runner (vitest) in production code",
      "engine/sync/sync-task.ts: imports '@/lib/db' — the console's lib/db/index.ts in the engine",
      "engine/writer/retry.ts: imports 'react' — react in the engine: it knows nothing of the console",
      "engine/writer/retry.ts: imports '../bench/sync' — the benchmarks (engine/bench/sync.ts) in production code",
      "engine/bench/sync.ts: imports '../sync/testing/run-task' — test support (engine/sync/testing/run-task.ts) in the benchmarks: they may use the shared harness engine/testing/ only",
      "engine/testing/wait.ts: imports '../sync/testing/run-task' — one package's test support (engine/sync/testing/run-task.ts) in the shared engine/testing/: a helper two packages need moves there whole",
      "lib/tasks/routes.ts: imports '@/components/shell' — components/shell.tsx in lib/: pages and components call lib/, not the other way round",
      "app/page.tsx: imports '@/engine/testing/compare' — test support (engine/testing/compare.ts) in production code: only tests and testing/ folders may import it",
      "engine/sync/helper.ts: only test code imports it (engine/sync/testing/run-task.ts): it is test support, move it under a testing/ folder",
    ]);
  });
});
