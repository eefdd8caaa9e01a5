/**
 * `@bilevel/parallel/testing`: a real Redis server for tests of the `redis` engine — Debian's
 * `redis-server` (installed with apt-get when it is missing and the process runs as root, as
 * `.ci/run` does), started on a free loopback port without persistence, stopped, or killed and
 * restarted empty on the same port (a Redis restart mid-run).
 * @module
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

/** The `redis-server` executable, installed when missing (as `.ci/run` does); undefined when it cannot be had. */
export function redisServerPath(): string | undefined {
  const which = (): string | undefined => {
    const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
    return r.status === 0 ? r.stdout.trim() : undefined;
  };
  let path = which();
  if (!path && process.getuid?.() === 0) {
    spawnSync('sh', ['-c', 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server'], { stdio: 'ignore', timeout: 300_000 });
    path = which();
  }
  return path;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A running test Redis. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Kill it (SIGKILL: no save) and start a new, empty one on the same port. */
  restart(downMs?: number): Promise<void>;
  /** Kill it. */
  kill(): void;
  /** Stop it. */
  stop(): Promise<void>;
}

function launch(bin: string, port: number): Promise<ChildProcess> {
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}: ${out}`)), 20_000);
    const poll = setInterval(() => {
      const r = spawnSync('redis-cli', ['-p', String(port), 'ping'], { encoding: 'utf8' });
      if (r.stdout.trim() === 'PONG') {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(child);
      }
    }, 50);
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => {
      clearInterval(poll);
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${out}`));
    });
  });
}

/** Start a Redis server on a free loopback port. */
export async function startRedis(bin: string): Promise<TestRedis> {
  const port = await freePort();
  let child = await launch(bin, port);
  const kill = (): void => {
    child.kill('SIGKILL');
  };
  const exited = (c: ChildProcess): Promise<void> => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', () => r())));
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    async restart(downMs = 500) {
      const old = child;
      kill();
      await exited(old);
      await new Promise((r) => setTimeout(r, downMs));
      child = await launch(bin, port);
    },
    async stop() {
      const c = child;
      c.kill('SIGTERM');
      await exited(c);
    },
  };
}
