/**
 * The files of a run directory and how they are written: JSON files atomically (with the
 * atomic writer of `@bilevel/optimizers/node`: temporary file, fsync, rename), the log as JSON
 * lines.
 * @module
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ValidationError } from '@bilevel/core';
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
  /** Training crops: clean / degraded / reconstructed. */
  trainGrid: 'train-grid.png',
  /** Test crops: clean / degraded / reconstructed. */
  testGrid: 'test-grid.png',
  /** Learned filters (FoE models). */
  filters: 'filters.png',
  /** Test crops of `bilevel eval`: clean / degraded / TV / learned. */
  evalGrid: 'eval-grid.png',
} as const;

/** Path of a run file. */
export function runFile(dir: string, file: keyof typeof RUN_FILES): string {
  return join(dir, RUN_FILES[file]);
}

/**
 * Write `text` to `path` atomically (`writeFileAtomic` of `@bilevel/optimizers/node`): a crash
 * or Ctrl-C at any moment leaves either the old or the new complete file, never a truncated one.
 * Errors name the file.
 */
export function writeFileAtomic(path: string, text: string): void {
  try {
    atomicWrite(path, text);
  } catch (e) {
    throw new ValidationError(`cannot write ${path}: ${(e as Error).message}; check the directory and its permissions`);
  }
}

/** Write a JSON value (pretty-printed) atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Read a JSON-lines file (`readJsonl` of `@bilevel/optimizers/node`: a torn last line from a
 * crash is ignored); an absent file reads as no rows.
 */
export function readJsonLines<T = Record<string, unknown>>(path: string): T[] {
  return existsSync(path) ? (readJsonl(path) as T[]) : [];
}
