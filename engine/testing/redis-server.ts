/**
 * Test harness: real redis-server processes on free ports, always reaped.
 *
 * Every server is started with `--enable-debug-command yes` so tests can prove
 * equality with DEBUG DIGEST. Each process records its pid under HARNESS_ROOT so
 * the global teardown can kill anything a crashed test left behind.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { serverCommand, type ServerCommand, type ServerName } from './servers';

/**
 * Per test run (the global setup sets DTS_HARNESS_ROOT), so that two suites
 * running side by side never reap each other's servers.
 */
export const HARNESS_ROOT = process.env.DTS_HARNESS_ROOT ?? path.join(os.tmpdir(), `redis-dts-harness-${process.pid}`);

export class MissingSystemPackageError extends Error {
  constructor(readonly binary: string, readonly debianPackage: string) {
    super(
      `${binary} was not found on PATH. Install the Debian package: apt-get install -y ${debianPackage}`,
    );
    this.name = 'MissingSystemPackageError';
  }
}

export function requireBinary(binary: string, debianPackage: string): string {
  const found = spawnSync('sh', ['-c', `command -v ${binary}`], { encoding: 'utf8' });
  const where = found.stdout.trim();
  if (found.status !== 0 || !where) throw new MissingSystemPackageError(binary, debianPackage);
  return where;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A port in 20000–29999 whose +10000 neighbour (the cluster bus port) is free too.
 * Random start spreads parallel test workers apart; the reservation set avoids
 * handing the same port twice within one process before the server binds it.
 */
const reserved = new Set<number>();
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 500; attempt++) {
    const port = 20000 + Math.floor(Math.random() * 10000);
    if (reserved.has(port) || reserved.has(port + 10000)) continue;
    if ((await portIsFree(port)) && (await portIsFree(port + 10000))) {
      reserved.add(port);
      return port;
    }
  }
  throw new Error('no free port pair found in 20000-39999');
}

export interface RedisServerOptions {
  /** Extra `--name value` arguments, e.g. `{ 'list-max-listpack-size': '4' }`. */
  config?: Record<string, string | number>;
  /** Extra raw arguments appended after config. */
  args?: string[];
  /**
   * Lines of a config file the server reads first (the command line's options come after it):
   * for what only a file can say, such as `rename-command PSYNC ""` (a managed service's stand-in).
   */
  configFile?: string[];
  cluster?: boolean;
  password?: string;
  /**
   * A server of another version, fetched from Debian by scripts/fetch-servers.mjs
   * (e.g. 'valkey-9.1', 'redis-6.0'); default: this machine's redis-server.
   */
  server?: ServerName;
}

/** The command that runs a server: this machine's redis-server, or a fetched one. */
interface Launcher {
  command: string;
  prefix: string[];
  env: NodeJS.ProcessEnv | undefined;
  /** Redis-compatible version [major, minor] (what the server's options depend on). */
  major: number;
}

function launcherFor(server: ServerName | undefined): Launcher {
  if (!server) return { command: requireBinary('redis-server', 'redis-server'), prefix: [], env: undefined, major: 7 };
  const c: ServerCommand = serverCommand(server);
  const major = Number(c.version.split('.')[0]);
  // Valkey 8+ is Redis 7.2 compatible; what matters here is that it has the 7.0 options.
  return { command: c.command, prefix: c.args, env: { ...process.env, ...c.env },
    major: c.family === 'valkey' ? 7 : major };
}

export class RedisServer {
  private exited = false;
  private exitPromise!: Promise<void>;

  private constructor(
    readonly port: number,
    readonly dir: string,
    private child: ChildProcess,
    private readonly args: string[],
    readonly password: string | undefined,
    private readonly launcher: Launcher,
    /** The fetched server it runs (undefined: this machine's redis-server). */
    readonly server: ServerName | undefined,
  ) {
    this.watch(child);
  }

  private watch(child: ChildProcess): void {
    this.exited = false;
    this.exitPromise = new Promise((resolve) => {
      child.once('exit', () => {
        this.exited = true;
        fs.rmSync(path.join(HARNESS_ROOT, 'pids', String(child.pid)), { force: true });
        resolve();
      });
    });
  }

  /** The server process's PID (to kill it with a signal of the test's choosing). */
  get pid(): number {
    return this.child.pid!;
  }

  /** SIGKILL, keeping its directory (its RDB and AOF) for restart(). */
  async kill(): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGKILL');
      await this.exitPromise;
    }
  }

  /** Waits for the process to end by itself (after SHUTDOWN, say). */
  async whenExited(): Promise<void> {
    await this.exitPromise;
  }

  /** Starts the server again on the same port and directory, with the same settings. */
  async restart(): Promise<void> {
    await this.kill();
    const child = spawnServer(this.launcher, this.args);
    fs.writeFileSync(path.join(HARNESS_ROOT, 'pids', String(child.pid)), this.dir);
    this.child = child;
    this.watch(child);
    await this.waitReady();
  }

  static async start(opts: RedisServerOptions = {}): Promise<RedisServer> {
    const launcher = launcherFor(opts.server);
    const port = await freePort();
    fs.mkdirSync(path.join(HARNESS_ROOT, 'pids'), { recursive: true });
    const dir = fs.mkdtempSync(path.join(HARNESS_ROOT, `r${port}-`));
    const file = opts.configFile ? path.join(dir, 'redis.conf') : undefined;
    if (file) fs.writeFileSync(file, `${opts.configFile!.join('\n')}\n`);
    const args = [
      ...(file ? [file] : []),
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir,
      '--dbfilename', 'dump.rdb',
      '--save', '',
      '--appendonly', 'no',
      // Redis 6.x has no such option: DEBUG is always allowed there.
      ...(launcher.major >= 7 ? ['--enable-debug-command', 'yes'] : []),
      '--logfile', path.join(dir, 'redis.log'),
      '--daemonize', 'no',
    ];
    if (opts.cluster) {
      args.push('--cluster-enabled', 'yes', '--cluster-config-file', path.join(dir, 'nodes.conf'),
        '--cluster-node-timeout', '5000');
    }
    if (opts.password) args.push('--requirepass', opts.password, '--masterauth', opts.password);
    for (const [k, v] of Object.entries(opts.config ?? {})) args.push(`--${k}`, String(v));
    args.push(...(opts.args ?? []));

    const child = spawnServer(launcher, args);
    fs.writeFileSync(path.join(HARNESS_ROOT, 'pids', String(child.pid)), dir);
    const server = new RedisServer(port, dir, child, args, opts.password, launcher, opts.server);
    reserved.delete(port);
    await server.waitReady();
    return server;
  }

  get url(): string {
    return this.password
      ? `redis://:${encodeURIComponent(this.password)}@127.0.0.1:${this.port}`
      : `redis://127.0.0.1:${this.port}`;
  }

  client(): Redis {
    return new Redis({ port: this.port, host: '127.0.0.1', password: this.password, lazyConnect: false,
      maxRetriesPerRequest: 1, enableOfflineQueue: true });
  }

  log(): string {
    try {
      return fs.readFileSync(path.join(this.dir, 'redis.log'), 'utf8');
    } catch {
      return '';
    }
  }

  private async waitReady(): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      if (this.exited) throw new Error(`redis-server on ${this.port} exited at start:\n${this.log()}`);
      const ok = await new Promise<boolean>((resolve) => {
        const sock = net.connect(this.port, '127.0.0.1');
        sock.once('connect', () => { sock.destroy(); resolve(true); });
        sock.once('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`redis-server on ${this.port} did not accept connections within 10 s`);
  }

  async stop(): Promise<void> {
    if (!this.exited) {
      this.child.kill('SIGKILL');
      await this.exitPromise;
    }
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

function spawnServer(launcher: Launcher, args: string[]): ChildProcess {
  return spawn(launcher.command, [...launcher.prefix, ...args], { stdio: 'ignore', env: launcher.env });
}

export class RedisCluster {
  private constructor(readonly nodes: RedisServer[]) {}

  /** A cluster of `masters` masters, slots spread evenly by `redis-cli --cluster create`. */
  static async start(masters = 3, opts: Omit<RedisServerOptions, 'cluster'> = {}): Promise<RedisCluster> {
    const cli = requireBinary('redis-cli', 'redis-server');
    const nodes: RedisServer[] = [];
    try {
      for (let i = 0; i < masters; i++) nodes.push(await RedisServer.start({ ...opts, cluster: true }));
      const addrs = nodes.map((n) => `127.0.0.1:${n.port}`);
      const auth = opts.password ? ['-a', opts.password, '--no-auth-warning'] : [];
      const res = spawnSync(cli, [...auth, '--cluster', 'create', ...addrs, '--cluster-replicas', '0', '--cluster-yes'],
        { encoding: 'utf8', timeout: 30_000 });
      if (res.status !== 0) throw new Error(`redis-cli --cluster create failed:\n${res.stdout}\n${res.stderr}`);
      const cluster = new RedisCluster(nodes);
      await cluster.waitHealthy();
      return cluster;
    } catch (err) {
      await Promise.all(nodes.map((n) => n.stop()));
      throw err;
    }
  }

  get seeds(): { host: string; port: number }[] {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  client(): InstanceType<typeof Redis.Cluster> {
    return new Redis.Cluster(this.seeds, { redisOptions: { password: this.nodes[0]?.password } });
  }

  private async waitHealthy(): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (const node of this.nodes) {
      const c = node.client();
      try {
        while (true) {
          const info = String(await c.call('CLUSTER', 'INFO'));
          if (info.includes('cluster_state:ok')) break;
          if (Date.now() > deadline) throw new Error(`cluster node ${node.port} not ok:\n${info}`);
          await new Promise((r) => setTimeout(r, 100));
        }
      } finally {
        c.disconnect();
      }
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}

/** Kill every harness redis-server still recorded and remove the harness folder (global teardown, bench exit). */
export function reapAll(): number {
  const dir = path.join(HARNESS_ROOT, 'pids');
  let killed = 0;
  for (const name of fs.existsSync(dir) ? fs.readdirSync(dir) : []) {
    const pid = Number(name);
    try {
      process.kill(pid, 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
    const serverDir = fs.readFileSync(path.join(dir, name), 'utf8');
    fs.rmSync(serverDir, { recursive: true, force: true });
    fs.rmSync(path.join(dir, name), { force: true });
  }
  fs.rmSync(HARNESS_ROOT, { recursive: true, force: true });
  return killed;
}
