/**
 * The REST API as a script drives it: tokens made with `npm run token` against the
 * test server's database, and an HTTP client that sends only `Authorization: Bearer`
 * (no cookie) and records which operation templates it called, for the OpenAPI check.
 */
import { execFileSync } from 'node:child_process';
import { request, type APIRequestContext, type APIResponse } from '@playwright/test';

/** `npm run token -- <args>` against the e2e database; its stdout. */
export function tokenCli(args: string[]): string {
  return execFileSync('npm', ['run', '--silent', 'token', '--', ...args], {
    env: { ...process.env, DATABASE_URL: `file:${process.env.E2E_DATABASE_FILE}` },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

export interface ApiCall {
  method: string;
  /** e.g. /tasks/{taskId}/start */
  template: string;
  status: number;
}

export class ApiClient {
  readonly calls: ApiCall[] = [];

  private constructor(private readonly http: APIRequestContext) {}

  static async open(token: string): Promise<ApiClient> {
    const http = await request.newContext({
      baseURL: process.env.E2E_BASE_URL,
      storageState: { cookies: [], origins: [] },
      extraHTTPHeaders: { Authorization: `Bearer ${token}` },
    });
    return new ApiClient(http);
  }

  /** Calls `template` with `params` filled in; the JSON answer and the response. */
  async call(method: 'GET' | 'POST' | 'PUT' | 'DELETE', template: string, opts: { params?: Record<string, string>; body?: unknown; headers?: Record<string, string>; query?: Record<string, string> } = {}): Promise<{ status: number; json: any; res: APIResponse }> {
    const path = template.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(opts.params?.[k] ?? ''));
    const qs = opts.query ? `?${new URLSearchParams(opts.query)}` : '';
    const res = await this.http.fetch(`/api/v1${path}${qs}`, {
      method, headers: { ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers },
      ...(opts.body !== undefined ? { data: JSON.stringify(opts.body) } : {}),
    });
    this.calls.push({ method, template, status: res.status() });
    const text = await res.text();
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      json = text;
    }
    return { status: res.status(), json, res };
  }

  /** A path outside /api/v1 (e.g. /metrics), as text. */
  async raw(path: string): Promise<{ status: number; text: string }> {
    const res = await this.http.get(path);
    return { status: res.status(), text: await res.text() };
  }

  async close(): Promise<void> {
    await this.http.dispose();
  }
}

/** A self-managed, password-free endpoint as the wizard's step 1 sends it. */
export function endpointInput(port: number) {
  return { databaseType: 'Redis', accessMethod: 'self-managed', region: 'local', host: '127.0.0.1', port, mode: 'standalone', authMethod: 'password-free', tls: false };
}
