/** Shared helpers of the CLI tests: temporary folders, a tiny experiment, in-process CLI runs. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@bilevel/cli';

/** A fresh temporary directory. */
export function tempDir(prefix = 'bilevel-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A tiny smooth-TV experiment: 2 training crops and 1 test crop of 16×16 from the bundled
 * photographs (shrunk to 128 px), MAID + implicit, a few iterations — seconds to run.
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
    ...overrides,
  };
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
