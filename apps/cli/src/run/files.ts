/**
 * The files of a run directory and how they are written: JSON files atomically (with the
 * atomic writer of `@bilevel/optimizers/node`: temporary file, fsync, rename) by `stringifyJson`
 * of `@bilevel/core` (non-finite numbers as the strings "NaN", "Infinity", "-Infinity"), the log
 * as JSON lines.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileSystemError, stringifyJson } from '@bilevel/core';
import { readJsonl, writeFileAtomic as atomicWrite } from '@bilevel/optimizers/node';

/** File names inside a run directory. */
export const RUN_FILES = {
  /** The validated config with defaults filled in (folders made absolute). */
  config: 'config.json',
  /** Learned parameters θ with names. */
  params: 'params.json',
  /** One JSON object per upper-level iteration. */
  log: 'log.jsonl',
  /** The latest checkpoint (written atomically: always a complete, readable file). */
  checkpoint: 'checkpoint.json',
  /** Run status: running / completed / interrupted / failed, with the message of a failure. */
  status: 'run.json',
  /** Human-readable report with numbers and pictures. */
  report: 'report.md',
  /** Results of `bilevel eval`. */
  eval: 'eval.json',
  /** The learned model as the registry's model data with `meta` (degradation, tuned TV baseline): `bilevel eval --model`, `bilevel denoise --model`. */
  model: 'model.json',
  /** Training crops: clean / degraded / reconstructed. */
  trainGrid: 'train-grid.png',
  /** Test crops: clean / degraded / reconstructed. */
  testGrid: 'test-grid.png',
  /** Learned filters (FoE models). */
  filters: 'filters.png',
  /** Test crops of `bilevel eval`: clean / degraded / TV / learned. */
  evalGrid: 'eval-grid.png',
} as const;

/** Charts of a run directory, each written as `<name>.svg` and `<name>.png`. */
export const RUN_CHARTS = {
  /** Training loss and PSNR against the work done. */
  cost: 'loss-psnr-vs-cost',
  /** Training loss and PSNR against wall time. */
  time: 'loss-psnr-vs-time',
  /** Accuracy, bound, gradient norm and step size of the upper-level method. */
  accuracy: 'accuracy',
  /** Mean test PSNR per method (`bilevel eval`). */
  evalPsnr: 'eval-psnr',
} as const;

/** The lock file of a run directory (see `run/lock.ts`): present while a command writes the run. */
export const RUN_LOCK_FILE = 'run.lock';

/**
 * Whether a file name in a run directory is one that bilevel writes: a run file, a chart, or a
 * temporary file of the atomic writer (`.<file>.<pid>.<n>.tmp`). Replacing a run removes exactly
 * these, never other files.
 */
export function isRunOwnedFile(name: string): boolean {
  const owned = new Set<string>([...Object.values(RUN_FILES), ...Object.values(RUN_CHARTS).flatMap((c) => [`${c}.svg`, `${c}.png`])]);
  if (owned.has(name)) return true;
  const tmp = /^\.(.+)\.\d+\.\d+\.tmp$/.exec(name);
  return tmp !== null && owned.has(tmp[1]!);
}

/** Path of a run file. */
export function runFile(dir: string, file: keyof typeof RUN_FILES): string {
  return join(dir, RUN_FILES[file]);
}

/**
 * Write `text` to `path` atomically (`writeFileAtomic` of `@bilevel/optimizers/node`): a crash
 * or Ctrl-C at any moment leaves either the old or the new complete file, never a truncated one.
 * Errors are `FileSystemError`s naming the file.
 */
export function writeFileAtomic(path: string, text: string): void {
  try {
    atomicWrite(path, text);
  } catch (e) {
    throw fileSystemError(e, 'write', path);
  }
}

/** Write a JSON value (pretty-printed by `stringifyJson`: non-finite numbers as strings) atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${stringifyJson(value, 2)}\n`);
}

/**
 * Read a JSON-lines file (`readJsonl` of `@bilevel/optimizers/node`: a torn last line from a
 * crash is ignored, "NaN"/"Infinity" strings read as numbers); an absent file reads as no rows.
 */
export function readJsonLines<T = Record<string, unknown>>(path: string): T[] {
  return existsSync(path) ? (readJsonl(path) as T[]) : [];
}
