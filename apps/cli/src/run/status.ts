/**
 * The run status file (`run.json`), the learned-parameter file (`params.json`) and the saved
 * config of a run directory.
 * @module
 */
import { existsSync } from 'node:fs';
import { ValidationError, z, type StopReason } from '@bilevel/core';
import { readJsonFile } from '../config/load.js';
import { parseExperimentConfig, type ExperimentConfig } from '../config/schema.js';
import type { ComputeSummary } from './compute.js';
import { runFile, writeJsonAtomic } from './files.js';

/** What each `StopReason` of core's run loop means for a training run, in the words the CLI prints. */
const STOP_WORDS: Readonly<Record<StopReason, string>> = {
  'max-iterations': 'iteration budget reached',
  budget: 'lower-level work budget reached',
  'time-limit': 'wall-time budget reached',
  converged: 'converged',
  aborted: 'interrupted',
  diverged: 'diverged',
  breakdown: 'stalled: no step accepted with ε and δ at their floors',
};

/**
 * The words the CLI prints for why a run stopped (`run.json` and `--json` keep core's
 * `StopReason`); a string of an older run file that is no `StopReason` is returned as it is.
 */
export function stopWords(reason: string): string {
  return Object.hasOwn(STOP_WORDS, reason) ? STOP_WORDS[reason as StopReason] : reason;
}

/** Mean PSNRs (dB) of one part (training or test crops) of a run. */
export interface PartPsnr {
  /** Of the degraded measurements. */
  readonly degraded: number;
  /** Of the reconstructions with the initial θ₀. */
  readonly initial: number;
  /** Of the reconstructions with the learned θ. */
  readonly learned: number;
}

/** Numbers of a finished run, for the report. */
export interface RunResults {
  /** Inexact training loss of the first logged iteration. */
  readonly initialLoss: number;
  /** Inexact training loss of the last logged iteration. */
  readonly finalLoss: number;
  /** Mean PSNR (dB) of the degraded and reconstructed training crops (reconstructed at `eval.epsilon`). */
  readonly train: PartPsnr;
  /** Mean PSNR (dB) of the degraded and reconstructed test crops. */
  readonly test: PartPsnr;
  /** Cumulative lower-level + adjoint + CG iterations. */
  readonly totalIterations: number;
  /** Cumulative seconds in optimizer steps. */
  readonly seconds: number;
}

/** Contents of `run.json`. */
export interface RunStatus {
  /** Always `bilevel-run`. */
  readonly format: 'bilevel-run';
  /** Experiment name. */
  readonly name: string;
  /** Current state of the run. */
  readonly status: 'running' | 'completed' | 'interrupted' | 'failed';
  /** Upper-level iterations completed. */
  readonly iteration: number;
  /** Iteration of the state in `checkpoint.json` (absent before the first checkpoint). */
  readonly checkpointIteration?: number;
  /**
   * Why training stopped, as core's `StopReason` (`max-iterations`, `budget`, `time-limit`,
   * `converged`, `breakdown`, `aborted`, `diverged`); absent while running and when a step failed
   * with an error (see `message`).
   */
  readonly stopCause?: StopReason;
  /** Error message of a failed run. */
  readonly message?: string;
  /** ISO time of the first start. */
  readonly startedAt: string;
  /** ISO time of the last update. */
  readonly updatedAt: string;
  /** Number of training sessions (1 + resumptions). */
  readonly sessions: number;
  /** Wall-clock seconds of the whole command, summed over sessions (data, training, pictures). */
  readonly commandSeconds: number;
  /** Numbers of a completed run. */
  readonly results?: RunResults;
  /** The parallel engine's use in the last session (engine, workers, wall time split, bytes). */
  readonly compute?: ComputeSummary;
}

const statusSchema = z.object({ format: z.literal('bilevel-run'), name: z.string(), status: z.string(), iteration: z.number() }).loose();

/** Read `run.json` of a run directory (undefined when absent). */
export function readStatus(dir: string): RunStatus | undefined {
  const path = runFile(dir, 'status');
  if (!existsSync(path)) return undefined;
  const v = statusSchema.safeParse(readJsonFile(path, 'run status file'));
  if (!v.success) throw new ValidationError(`${path} is not a bilevel run status file`);
  return v.data as unknown as RunStatus;
}

/** Write `run.json` atomically. */
export function writeStatus(dir: string, status: RunStatus): void {
  writeJsonAtomic(runFile(dir, 'status'), status);
}

/** Contents of `params.json`: θ with names and derived quantities. */
export interface ParamsFile {
  /** Always `bilevel-params`. */
  readonly format: 'bilevel-params';
  /** Experiment name. */
  readonly name: string;
  /** Model kind (`smooth-tv`, `huber-tv`, `foe`). */
  readonly model: string;
  /** The lower-level problem as a formula. */
  readonly formula: string;
  /** Upper-level iterations done when θ was saved. */
  readonly iteration: number;
  /** Parameter names, aligned with `theta`. */
  readonly names: readonly string[];
  /** The learned θ. */
  readonly theta: readonly number[];
  /** Quantities derived from θ (e.g. `weight = e^θ₀`). */
  readonly derived: Readonly<Record<string, number>>;
}

const paramsSchema = z.object({
  format: z.literal('bilevel-params', 'must be "bilevel-params"'),
  name: z.string(),
  model: z.string(),
  formula: z.string(),
  iteration: z.number().int().nonnegative(),
  names: z.array(z.string()),
  theta: z.array(z.number().finite()),
  derived: z.record(z.string(), z.number()),
});

/**
 * The validated `config.json` of a run directory; `label` names the directory in the error
 * when it is not a run directory (e.g. `--model <dir>`).
 */
export function readRunConfig(dir: string, label = dir): ExperimentConfig {
  const path = runFile(dir, 'config');
  if (!existsSync(path)) throw new ValidationError(`${label} is not a run directory (no config.json); pass the --out folder of \`bilevel train\``);
  return parseExperimentConfig(readJsonFile(path, 'run config'), path);
}

/** Read and check `params.json` of a run directory. */
export function readParams(dir: string): ParamsFile {
  const path = runFile(dir, 'params');
  if (!existsSync(path)) {
    throw new ValidationError(`${path} not found: ${dir} is not a finished or checkpointed training run (run \`bilevel train\` first)`);
  }
  const r = paramsSchema.safeParse(readJsonFile(path, 'params file'));
  if (!r.success) {
    throw new ValidationError(`${path} is not a valid params file:\n  ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  ')}`);
  }
  if (r.data.names.length !== r.data.theta.length) throw new ValidationError(`${path}: ${r.data.names.length} names but ${r.data.theta.length} values`);
  return r.data as ParamsFile;
}

/** Write `params.json` atomically. */
export function writeParams(dir: string, params: ParamsFile): void {
  writeJsonAtomic(runFile(dir, 'params'), params);
}
