/**
 * Engine workers are started with an allow-listed environment (issue 16, row 15): the console's
 * secrets stay in the console. Spawned through the real WorkerProcess, the worker reports what it got.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WorkerProcess, workerEnvironment } from './worker-process';

const SECRETS: Record<string, string> = {
  DTS_SECRET_KEY: 'c2VjcmV0LWtleS1vZi10aGUtY29uc29sZS0zMi1ieXRlcw==',
  DTS_SESSION_SECRET: 'session-secret-of-the-console-0123456789abcdef',
  DTS_ADMIN_PASSWORD: 'Admin-Passw0rd-of-the-console',
  DATABASE_URL: 'postgresql://dts:Db-Passw0rd@127.0.0.1:5432/dts',
  DTS_ALERT_WEBHOOK_URL: 'https://hooks.example/T0/B0/webhook-token-0123',
  SOME_OTHER_TOKEN: 'an-operator-secret-nobody-listed',
};
const saved = new Map<string, string | undefined>();

afterEach(() => {
  for (const [k, v] of saved) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  saved.clear();
});

type EnvMessage = { type: 'env'; env: Record<string, string> };

function childEnvironment(): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let got: Record<string, string> | undefined;
    const worker = new WorkerProcess<never, EnvMessage>({
      script: 'testing/env-worker.ts',
      label: 'env probe',
      onMessage: async (msg) => { got = msg.env; },
      onExit: async (exit) => (got ? resolve(got) : reject(new Error(`the worker exited (${JSON.stringify(exit)}) without reporting`))),
    });
    setTimeout(() => { worker.kill(); reject(new Error('the worker did not report within 30 s')); }, 30_000).unref();
  });
}

describe('WorkerProcess', () => {
  it("starts the worker without the console's secrets, with what it needs to run", async () => {
    for (const [k, v] of Object.entries({ ...SECRETS, TZ: 'Europe/Paris', LC_ALL: 'C.UTF-8' })) {
      saved.set(k, process.env[k]);
      process.env[k] = v;
    }
    const env = await childEnvironment();
    for (const name of Object.keys(SECRETS)) expect(env, name).not.toHaveProperty(name);
    const everything = JSON.stringify(env);
    for (const value of Object.values(SECRETS)) expect(everything).not.toContain(value);
    expect(env.PATH).toBe(process.env.PATH);
    expect(env).toMatchObject({ TZ: 'Europe/Paris', LC_ALL: 'C.UTF-8' });
  });

  it('workerEnvironment keeps only the allow-list', () => {
    expect(workerEnvironment({ PATH: '/bin', HOME: '/h', NODE_EXTRA_CA_CERTS: '/ca.pem', LC_TIME: 'C', ...SECRETS })).toEqual({
      PATH: '/bin', HOME: '/h', NODE_EXTRA_CA_CERTS: '/ca.pem', LC_TIME: 'C',
    });
  });
});
