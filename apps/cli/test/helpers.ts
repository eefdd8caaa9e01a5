/**
 * Shared helpers of the CLI tests: temporary folders, a tiny experiment, in-process CLI runs,
 * snapshots of folders ("nothing was lost") and `bilevel` child processes (signals, pipes, locks).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { runCli } from '@bilevel/cli';
import { noisyCrops } from '@bilevel/imaging';
import { loadPhotograph } from '@bilevel/imaging/node';

/** A fresh temporary directory. */
export function tempDir(prefix = 'bilevel-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A tiny smooth-TV experiment: 2 training crops and 1 test crop of 16×16 from the bundled
 * photographs (shrunk to 128 px), MAID + implicit, a few iterations — seconds to run. Solves run
 * inline: starting worker threads on the TypeScript sources costs more than such a run (the
 * engines give identical results; test/compute.test.ts covers the default, threads).
 */
export function tinyConfig(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'tiny',
    description: 'tiny end-to-end test',
    seed: 1,
    data: {
      maxSide: 128,
      train: { images: ['airplane-from-above'], cropSize: 16, cropsPerImage: 2 },
      test: { images: ['nagasaki-boats'], cropSize: 16, cropsPerImage: 1 },
      degradation: { kind: 'noise', sigma: 0.1 },
    },
    model: { kind: 'smooth-tv', init: { logWeight: -3, logSmoothing: -3 } },
    hypergradient: { kind: 'implicit' },
    optimizer: { kind: 'maid', stepSize0: 0.05 },
    budget: { iterations: 6 },
    checkpointEvery: 2,
    eval: { tvWeights: { min: 0.01, max: 1, count: 4 }, showImages: 2 },
    compute: { engine: 'inline' },
    ...overrides,
  };
}

/**
 * Two `size`×`size` crops of a bundled photograph (at (12, 30) and (40, 52) of its 96-pixel
 * version) with Gaussian noise σ = 0.1 (seeds 1 and 2), as training samples: the samples of the
 * small oracle tests.
 */
export function noisySamples(size: number): { degraded: Float64Array; clean: Float64Array }[] {
  const photo = loadPhotograph('airplane-from-above', { gray: true, maxSide: 96 });
  return noisyCrops(photo, [[12, 30], [40, 52]], size, { sigma: 0.1, seed: 1 }).map((p) => ({ degraded: p.degraded.data, clean: p.clean.data }));
}

/** Write a config object as JSON into `dir` and return its path. */
export function writeConfig(dir: string, config: unknown, name = 'config.json'): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/** Run `bilevel …` in-process, capturing its output. */
export async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Flags of a quiet training run without pictures. */
export const QUIET = ['--progress', 'none', '--no-report'] as const;

/** Train the tiny experiment (with `overrides`) into `<dir>/<name>` in-process; returns the run directory. */
export async function trainTiny(dir: string, name = 'run', overrides: Record<string, unknown> = {}): Promise<string> {
  const out = join(dir, name);
  const r = await cli('train', writeConfig(dir, tinyConfig(overrides), `${name}.json`), '--out', out, ...QUIET);
  if (r.code !== 0) throw new Error(`training the fixture failed: ${r.err}`);
  return out;
}

/** Every file under `dir` (relative path → SHA-256 of its bytes); `{}` when `dir` does not exist. */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** The `bilevel` sources run by tsx in a child process, as the executable would be. */
const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

/** A `bilevel` child process with its output collected. */
export interface CliChild {
  /** The process. */
  readonly child: ChildProcess;
  /** Resolves when it exits. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>;
  /** Resolves when stdout + stderr so far match `pattern` (rejects after `timeoutMs`). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Start `bilevel …` as a child process (node + tsx on the sources; stdout/stderr piped). */
export function spawnCli(args: readonly string[], options: { stdout?: 'pipe' | 'ignore' } = {}): CliChild {
  const child = spawn(process.execPath, ['--import', TSX, '--conditions=@bilevel/source', MAIN, ...args], {
    stdio: ['ignore', options.stdout ?? 'pipe', 'pipe'],
    env: { ...process.env, BILEVEL_DEBUG: '' },
  });
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const check = (): void => {
    for (const w of [...waiters]) {
      if (w.pattern.test(out + err)) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve();
      }
    }
  };
  child.stdout?.on('data', (d: Buffer) => ((out += d.toString()), check()));
  child.stderr?.on('data', (d: Buffer) => ((err += d.toString()), check()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, out, err })),
  );
  return {
    child,
    exit,
    waitFor: (pattern, timeoutMs = 60_000) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output so far:\n${out}\n${err}`)), timeoutMs);
        waiters.push({ pattern, resolve: () => (clearTimeout(timer), resolve()) });
        void exit.then(() => setTimeout(() => reject(new Error(`exited before ${pattern}; output:\n${out}\n${err}`)), 0));
        check();
      }),
  };
}
