/**
 * The bundled experiment configs (`apps/cli/experiments/*.json`).
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadExperimentConfig } from './config/experiment-file.js';
import type { ExperimentConfig } from './config/schema.js';

/** Absolute path of the folder of bundled experiment configs (next to `src/` and `dist/`). */
export const EXPERIMENTS_DIR: string = fileURLToPath(new URL('../experiments/', import.meta.url));

/** A bundled experiment: its file and validated config. */
export interface BundledExperiment {
  /** File name without `.json`, e.g. `smooth-tv-denoising`. */
  readonly id: string;
  /** Absolute path of the config file. */
  readonly path: string;
  /** The validated config. */
  readonly config: ExperimentConfig;
}

/** Order of the bundled experiments in listings (the default first); others follow by name. */
export const EXPERIMENT_ORDER: readonly string[] = [
  'smooth-tv-denoising',
  'huber-tv-denoising',
  'foe-denoising',
  'foe-denoising-adam',
  'deblurring',
  'icnn-denoising',
  'conv-icnn-denoising',
];

function rank(id: string): number {
  const i = EXPERIMENT_ORDER.indexOf(id);
  return i < 0 ? EXPERIMENT_ORDER.length : i;
}

/** The bundled experiments, the default (`smooth-tv-denoising`) first (each config validated). */
export function listExperiments(): BundledExperiment[] {
  if (!existsSync(EXPERIMENTS_DIR)) return [];
  return readdirSync(EXPERIMENTS_DIR)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .sort((a, b) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((id) => `${id}.json`)
    .map((f) => {
      const path = join(EXPERIMENTS_DIR, f);
      return { id: basename(f, '.json'), path, config: loadExperimentConfig(path) };
    });
}

/**
 * An argument naming a JSON file: an existing path as is; otherwise, for a bare name (no `/`), the
 * bundled file `<name>.json` in `dir` when there is one; otherwise the argument unchanged (so the
 * loader reports it as missing).
 */
function resolveBundled(arg: string, dir: string): string {
  if (existsSync(arg)) return arg;
  const bundled = join(dir, basename(arg.endsWith('.json') ? arg : `${arg}.json`));
  return !arg.includes('/') && existsSync(bundled) ? bundled : arg;
}

/**
 * Resolve a config argument: an existing file path as is; otherwise the name of a bundled
 * experiment (`smooth-tv-denoising` or `smooth-tv-denoising.json`); otherwise the path unchanged
 * (so the loader reports it as missing).
 */
export function resolveConfigPath(arg: string): string {
  return resolveBundled(arg, EXPERIMENTS_DIR);
}

/** Absolute path of the folder of bundled comparison files (`bilevel compare <name>`). */
export const COMPARISONS_DIR: string = join(EXPERIMENTS_DIR, 'comparisons');

/**
 * Resolve a comparison argument as {@link resolveConfigPath} does experiments: an existing file as
 * is, else the name of a bundled comparison (`isgd-vs-maid-denoising`), else unchanged.
 */
export function resolveComparisonPath(arg: string): string {
  return resolveBundled(arg, COMPARISONS_DIR);
}
