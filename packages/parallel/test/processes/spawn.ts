/** TypeScript scripts of the tests as child processes (node + tsx on the sources), with their output collected. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A running script. */
export interface Script {
  /** The process. */
  readonly child: ChildProcess;
  /** Output so far (stdout and stderr). */
  output(): string;
  /** Resolves when the output matches `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code when the process ends. */
  readonly exit: Promise<number | null>;
}

/** Start `script` (a path next to this file's folder, e.g. `processes/worker.ts`) with `args`. */
export function spawnScript(script: URL, args: readonly string[]): Script {
  const child = spawn(process.execPath, ['--import', TSX, '--conditions=@bilevel/source', script.pathname, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.pattern.test(out)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout!.on('data', (d: Buffer) => ((out += d.toString()), check()));
  child.stderr!.on('data', (d: Buffer) => ((out += d.toString()), check()));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exit,
    waitFor: (pattern, timeoutMs = 120_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        void exit.then(() => setTimeout(() => reject(new Error(`exited before ${pattern}; output:\n${out}`)), 50));
        check();
      }),
  };
}

/** Stop a script (SIGTERM, then SIGKILL after 5 s) and wait for it. */
export async function stopScript(s: Script): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  await s.exit;
  clearTimeout(timer);
}
