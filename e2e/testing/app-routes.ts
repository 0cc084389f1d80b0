/**
 * Everything the console answers, read from the source tree and the build, so a
 * route added later is tested without anyone listing it:
 * - pages: every app/**\/page.tsx;
 * - route handlers: every app/**\/route.ts and the HTTP methods it exports;
 * - server actions: every export of every 'use server' module, and every action
 *   the production build can be called with (.next/server/server-reference-manifest.json).
 */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const APP = path.join(ROOT, 'app');

function walk(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

/** `app/(console)/sync-tasks/[id]/page.tsx` → `/sync-tasks/[id]` (route groups dropped). */
export function routeOf(file: string): string {
  const rel = path.relative(APP, path.dirname(file)).split(path.sep).filter((s) => s && !/^\(.*\)$/.test(s));
  return `/${rel.join('/')}`;
}

/** Fills `[param]` segments. */
export function fill(route: string, params: Record<string, string>): string {
  return route.replace(/\[(\w+)\]/g, (_, name: string) => {
    if (!(name in params)) throw new Error(`no value for [${name}] in ${route}`);
    return encodeURIComponent(params[name]);
  });
}

export function pages(): string[] {
  return walk(APP).filter((f) => /\/page\.(tsx|ts|jsx|js)$/.test(f)).map(routeOf).sort();
}

export function routeHandlers(): { route: string; methods: string[] }[] {
  return walk(APP).filter((f) => /\/route\.(ts|js)$/.test(f)).map((f) => {
    const src = fs.readFileSync(f, 'utf8');
    // `export async function GET`, or `export const GET = apiRoute(…)` (the REST API's handlers).
    const methods = [...src.matchAll(/export\s+(?:(?:async\s+)?function|const)\s+(GET|HEAD|POST|PUT|PATCH|DELETE|OPTIONS)\b/g)].map((m) => m[1]);
    return { route: routeOf(f), methods };
  }).sort((a, b) => a.route.localeCompare(b.route));
}

/** Exported functions of the modules that start with 'use server' (app, lib, components). */
export function sourceActions(): { file: string; name: string }[] {
  const out: { file: string; name: string }[] = [];
  for (const dir of ['app', 'lib', 'components']) {
    for (const f of walk(path.join(ROOT, dir))) {
      if (!/\.(ts|tsx)$/.test(f) || f.includes(`${path.sep}generated${path.sep}`)) continue;
      const src = fs.readFileSync(f, 'utf8');
      if (!/^\s*(\/\/[^\n]*\n\s*)*['"]use server['"]/.test(src)) continue;
      for (const m of src.matchAll(/export\s+(?:async\s+function|const|function)\s+(\w+)/g)) out.push({ file: path.relative(ROOT, f), name: m[1] });
    }
  }
  return out.sort((a, b) => `${a.file}#${a.name}`.localeCompare(`${b.file}#${b.name}`));
}

export interface BuiltAction {
  id: string;
  file: string;
  name: string;
  /** The page routes whose bundles can call it. */
  routes: string[];
}

/** The server actions of the production build the test server runs. */
export function builtActions(): BuiltAction[] {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, '.next', 'server', 'server-reference-manifest.json'), 'utf8')) as {
    node: Record<string, { workers: Record<string, unknown>; filename: string; exportedName: string }>;
  };
  return Object.entries(manifest.node).map(([id, a]) => ({
    id, file: a.filename, name: a.exportedName,
    routes: Object.keys(a.workers).filter((w) => w.endsWith('/page')).map((w) => routeOf(path.join(ROOT, `${w}.tsx`))),
  })).sort((a, b) => `${a.file}#${a.name}`.localeCompare(`${b.file}#${b.name}`));
}

/**
 * The body of a server action call as React encodes it (encodeReply): a JSON array of the
 * arguments, or, when an argument is a form, multipart with the JSON in field `0` and each
 * form's fields as `_<n>_<name>` referenced by `"$K<n>"` (React 19.3's prefix; the server
 * reads no field under another name), sent before field `0`.
 */
export function encodeActionArgs(args: unknown[]): { json: string } | { multipart: Record<string, string> } {
  const forms: Record<string, string> = {};
  let next = 1;
  const encoded = args.map((a) => {
    if (a instanceof FormData) {
      const n = next++;
      for (const [k, v] of a.entries()) forms[`_${n}_${k}`] = String(v);
      return `$K${n.toString(16)}`;
    }
    return a === undefined ? '$undefined' : a;
  });
  const json = JSON.stringify(encoded);
  return next === 1 ? { json } : { multipart: { '0': json, ...forms } };
}

/** Calls a server action over HTTP the way the browser does; returns the status and the RSC text. */
export async function callAction(baseURL: string, action: { id: string }, route: string, args: unknown[], cookie?: string): Promise<{ status: number; text: string }> {
  const body = encodeActionArgs(args);
  const headers: Record<string, string> = { 'Next-Action': action.id, Accept: 'text/x-component', Origin: baseURL };
  if (cookie) headers.Cookie = cookie;
  let payload: BodyInit;
  if ('json' in body) {
    headers['Content-Type'] = 'text/plain;charset=UTF-8';
    payload = body.json;
  } else {
    const fd = new FormData();
    // The forms' fields first and the arguments (`0`) last, as React sends them: the server parses `0` on arrival
    // (streamed), and a `$K` reference sees only the fields that came before it.
    for (const [k, v] of Object.entries(body.multipart)) if (k !== '0') fd.append(k, v);
    fd.append('0', body.multipart['0']);
    payload = fd;
  }
  const res = await fetch(`${baseURL}${route}`, { method: 'POST', headers, body: payload, redirect: 'manual' });
  return { status: res.status, text: await res.text() };
}

/** Signs in through the sign-in route; returns the Cookie header value of the new session. */
export async function signInCookie(baseURL: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseURL}/api/auth/sign-in`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`sign-in as ${username}: HTTP ${res.status} ${await res.text()}`);
  const set = res.headers.get('set-cookie') ?? '';
  const m = /dts_session=[^;]+/.exec(set);
  if (!m) throw new Error(`sign-in as ${username}: no session cookie`);
  return m[0];
}
