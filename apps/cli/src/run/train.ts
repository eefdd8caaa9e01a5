/**
 * `runExperiment`: train a model from an experiment config into a run directory, with progress,
 * periodic atomic checkpoints, clean interruption (abort signal / Ctrl-C) and `--resume`.
 * @module
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { BilevelError, NumericalError, ValidationError, totalIterations } from '@bilevel/core';
import type { Checkpoint, OptimizerState, StepRecord } from '@bilevel/optimizers';
import { JsonlWriter, readCheckpoint, writeCheckpointAtomic } from '@bilevel/optimizers/node';
import { readJsonFile } from '../config/load.js';
import { parseExperimentConfig, type ExperimentConfig } from '../config/schema.js';
import { buildDataset, resolveFolder, type Dataset } from '../data.js';
import { writeRunArtifacts } from '../report/artifacts.js';
import { writeReport } from '../report/report.js';
import { buildOptimizer } from '../wiring/optimizer.js';
import { buildTrainingProblem, derivedParams } from '../wiring/problem.js';
import type { TrainingProblem } from '../wiring/types.js';
import { RUN_FILES, runFile, writeJsonAtomic } from './files.js';
import { createProgress, type ProgressMode } from './progress.js';
import { readStatus, writeParams, writeStatus, type RunStatus, type StopCause } from './status.js';
import { stdoutLine } from './output.js';

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** The run directory (created if missing). */
  readonly outDir: string;
  /** Continue from `checkpoint.json` in `outDir` instead of starting afresh. */
  readonly resume?: boolean;
  /**
   * Start afresh even if `outDir` holds an unfinished (interrupted or running) run. A completed
   * or failed run is replaced without it; an unfinished one is protected (resume it instead).
   */
  readonly force?: boolean;
  /** Progress display (default `auto`: a bar on a TTY, plain lines otherwise). */
  readonly progress?: ProgressMode;
  /** Where plain progress lines and messages go (default: stdout). */
  readonly write?: (line: string) => void;
  /** When aborted, training stops after the current iteration and writes a checkpoint. */
  readonly signal?: AbortSignal;
  /** Directory of the config file, for a relative `data.source.folder` (default: the working directory). */
  readonly configDir?: string;
  /** Write the pictures and the report at the end (default true). */
  readonly artifacts?: boolean;
  /** Called after every upper-level iteration with its log row (after it is logged and checkpointed). */
  readonly onStep?: (row: LogRow) => void;
}

/** Outcome of {@link runExperiment}. */
export interface RunExperimentResult {
  /** `completed` (budget reached or converged) or `interrupted` (abort signal). */
  readonly status: 'completed' | 'interrupted';
  /** Why training stopped. */
  readonly stopCause: StopCause;
  /** The run directory (absolute). */
  readonly outDir: string;
  /** Upper-level iterations completed (over all sessions). */
  readonly iterations: number;
  /** Loss of the first and last logged iteration. */
  readonly initialLoss: number;
  /** Loss of the last logged iteration. */
  readonly finalLoss: number;
  /** The learned θ. */
  readonly theta: Float64Array;
}

/** One line of `log.jsonl`: the optimizer's step record plus the PSNR implied by the loss. */
export type LogRow = StepRecord & {
  /** PSNR (dB) of the (unclipped) training reconstructions implied by the batch loss. */
  readonly psnr: number;
};

/** PSNR (dB, data range 1) implied by a squared-error loss per image of `n` pixels. */
export function psnrFromLoss(loss: number, n: number, reduction: 'sum' | 'mean'): number {
  const mse = reduction === 'sum' ? (2 * loss) / n : 2 * loss;
  return mse > 0 ? -10 * Math.log10(mse) : Infinity;
}

/** The training config with defaults filled in and a relative folder made absolute. */
function resolvedConfig(config: ExperimentConfig, configDir: string): ExperimentConfig {
  const folder = resolveFolder(config.data, configDir);
  if (folder === undefined || config.data.source === 'stdlib') return config;
  return { ...config, data: { ...config.data, source: { ...config.data.source, folder } } };
}

/** Keys of the config that may change on `--resume` (everything else must match the saved run). */
const RESUMABLE_KEYS = new Set(['budget', 'checkpointEvery', 'eval', 'description', '$schema']);

function diffKeys(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) || Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(root)'];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => diffKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
}

function checkResumeConfig(saved: ExperimentConfig, given: ExperimentConfig, dir: string): void {
  const diffs = diffKeys(saved, given).filter((p) => !RESUMABLE_KEYS.has(p.split('.')[0]!));
  if (diffs.length) {
    throw new ValidationError(
      `--resume: the config differs from the one the run in ${dir} was started with, at: ${diffs.join(', ')}; ` +
        'only budget, checkpointEvery, eval and description may change on resume (start a new run with another --out instead)',
      diffs,
    );
  }
}

/** Remove the files of a previous run (for a fresh start with `force`). */
function clearRun(dir: string): void {
  for (const f of Object.values(RUN_FILES)) rmSync(resolve(dir, f), { force: true });
}

function assertFiniteStep(record: StepRecord, state: OptimizerState, names: readonly string[]): void {
  const k = record.iteration + 1;
  if (!Number.isFinite(record.loss)) {
    throw new NumericalError(`the training loss became ${record.loss} at iteration ${k} (the run diverged)`);
  }
  if (!Number.isFinite(record.gradNorm)) {
    throw new NumericalError(`the hypergradient became ${record.gradNorm} at iteration ${k} (the run diverged)`);
  }
  for (let i = 0; i < state.theta.length; i++) {
    if (!Number.isFinite(state.theta[i]!)) {
      throw new NumericalError(`parameter ${names[i] ?? i} became ${state.theta[i]} after iteration ${k} (the run diverged)`);
    }
  }
}

function budgetFraction(config: ExperimentConfig, state: OptimizerState): number {
  const b = config.budget;
  let f = state.iteration / b.iterations;
  if (b.lowerLevelIterations) f = Math.max(f, totalIterations(state.cost) / b.lowerLevelIterations);
  if (b.wallTimeSeconds) f = Math.max(f, state.elapsed / 1000 / b.wallTimeSeconds);
  return Math.min(1, f);
}

function budgetReached(config: ExperimentConfig, state: OptimizerState): StopCause | undefined {
  const b = config.budget;
  if (state.iteration >= b.iterations) return 'iterations';
  if (b.lowerLevelIterations !== undefined && totalIterations(state.cost) >= b.lowerLevelIterations) return 'work';
  if (b.wallTimeSeconds !== undefined && state.elapsed / 1000 >= b.wallTimeSeconds) return 'time';
  return undefined;
}

const yieldToEventLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Train the model of `config` and write the run directory `options.outDir`:
 * `config.json`, `log.jsonl` (one line per upper-level iteration), `checkpoint.json` (every
 * `checkpointEvery` iterations, at the end and on interruption; written atomically, so a crash
 * or a diverging run never destroys the previous one), `params.json`, `run.json`, and at the end
 * the pictures, curves and `report.md`.
 *
 * Stops when the budget is reached (iterations, total lower-level work, wall time), when the
 * optimizer reports convergence, or when `options.signal` is aborted (status `interrupted`;
 * continue with `resume: true`). A non-finite loss, hypergradient or θ throws a
 * `NumericalError` naming the iteration; the last checkpoint stays intact.
 */
export async function runExperiment(config: ExperimentConfig, options: RunExperimentOptions): Promise<RunExperimentResult> {
  const t0 = Date.now();
  const outDir = resolve(options.outDir);
  const write = options.write ?? stdoutLine;
  const cfg = resolvedConfig(config, options.configDir ?? '.');
  const ckptPath = runFile(outDir, 'checkpoint');
  const previous = existsSync(outDir) ? readStatus(outDir) : undefined;

  let checkpoint: Checkpoint | undefined;
  if (options.resume) {
    if (!existsSync(ckptPath)) {
      throw new ValidationError(`--resume: no checkpoint in ${outDir} (${RUN_FILES.checkpoint} is missing); start the run without --resume`);
    }
    const saved = parseExperimentConfig(readJsonFile(runFile(outDir, 'config'), 'saved config'), runFile(outDir, 'config'));
    checkResumeConfig(saved, cfg, outDir);
    checkpoint = readCheckpoint(ckptPath);
  } else if (existsSync(ckptPath) || existsSync(runFile(outDir, 'log'))) {
    const finished = previous?.status === 'completed' || previous?.status === 'failed';
    if (!options.force && !finished) {
      const what = previous?.status === 'interrupted' ? `an interrupted run (iteration ${previous.iteration})` : 'an unfinished run';
      throw new ValidationError(`${outDir} holds ${what}; continue it with --resume, replace it with --force, or choose another --out`);
    }
    if (finished && !options.force) write(`replacing the ${previous.status} run in ${outDir}`);
    clearRun(outDir);
  }
  mkdirSync(outDir, { recursive: true });
  writeJsonAtomic(runFile(outDir, 'config'), cfg);

  write(`loading data (${cfg.data.source === 'stdlib' ? 'bundled photographs' : cfg.data.source.folder}) …`);
  const dataset: Dataset = buildDataset(cfg, options.configDir ?? '.');
  const problem: TrainingProblem = buildTrainingProblem(cfg, dataset.train);
  const optimizer = buildOptimizer(cfg, problem);
  const state = checkpoint ? optimizer.restore(checkpoint) : optimizer.init(problem.theta0);
  const startedAt = previous?.startedAt && options.resume ? previous.startedAt : new Date().toISOString();
  const sessions = (options.resume ? (previous?.sessions ?? 1) : 0) + 1;
  const priorSeconds = options.resume ? (previous?.commandSeconds ?? 0) : 0;
  let checkpointIteration: number | undefined = checkpoint ? state.iteration : undefined;

  const status = (s: Partial<RunStatus> & Pick<RunStatus, 'status'>): void =>
    writeStatus(outDir, {
      format: 'bilevel-run',
      name: cfg.name,
      iteration: state.iteration,
      ...(checkpointIteration !== undefined ? { checkpointIteration } : {}),
      startedAt,
      updatedAt: new Date().toISOString(),
      sessions,
      commandSeconds: priorSeconds + (Date.now() - t0) / 1000,
      ...s,
    });
  const saveCheckpoint = (): void => {
    writeCheckpointAtomic(ckptPath, optimizer.checkpoint(state));
    checkpointIteration = state.iteration;
  };
  const saveParams = (): void =>
    writeParams(outDir, {
      format: 'bilevel-params',
      name: cfg.name,
      model: cfg.model.kind,
      formula: problem.formula,
      iteration: state.iteration,
      names: [...problem.paramNames],
      theta: [...state.theta],
      derived: derivedParams(cfg, state.theta),
    });

  const log = new JsonlWriter(runFile(outDir, 'log'), options.resume ? { keep: (r) => Number(r.iteration) < state.iteration } : { truncate: true });
  const progress = createProgress(options.progress ?? 'auto', write);
  write(
    `${options.resume ? 'resuming' : 'training'} ${cfg.name}: ${dataset.train.length} training crops, ${problem.theta0.length} parameters, ` +
      `${cfg.hypergradient.kind} hypergradient, ${cfg.optimizer.kind} → ${outDir}`,
  );
  status({ status: 'running' });
  if (!checkpoint) saveParams();

  let stopCause: StopCause | undefined = budgetReached(cfg, state);
  let first: StepRecord | undefined;
  let last: StepRecord | undefined;
  progress.start(cfg.budget.iterations, state.iteration);
  try {
    while (!stopCause) {
      if (options.signal?.aborted) {
        stopCause = 'interrupted';
        break;
      }
      let record: StepRecord;
      try {
        record = optimizer.step(problem.oracle, state);
        assertFiniteStep(record, state, problem.paramNames);
      } catch (e) {
        const k = state.iteration + 1;
        const kept =
          checkpointIteration !== undefined
            ? `the last checkpoint (iteration ${checkpointIteration}) in ${ckptPath} is intact`
            : 'no checkpoint had been written yet';
        const fixedStep = cfg.optimizer.kind === 'gd' || cfg.optimizer.kind === 'sgd' || cfg.optimizer.kind === 'adam';
        const blewUp = e instanceof NumericalError || /over- or underflow|NaN|Infinity|diverg/i.test((e as Error).message);
        const hint = blewUp
          ? fixedStep
            ? ' — the run diverged: lower optimizer.stepSize (or use optimizer "maid", which adapts the step)'
            : ' — the run diverged: check the model initialisation and the tolerances'
          : '';
        const message = `training failed at iteration ${k}: ${(e as Error).message}${hint}; ${kept}`;
        status({ status: 'failed', stopCause: 'failed', message });
        if (e instanceof BilevelError) {
          const Ctor = e.constructor as new (m: string) => BilevelError;
          throw new Ctor(message);
        }
        throw new BilevelError(message);
      }
      first ??= record;
      last = record;
      const row: LogRow = { ...record, psnr: psnrFromLoss(record.loss, problem.pixelsPerSample, problem.reduction) };
      log.write(row);
      if (record.cappedSolves > 0) {
        write(
          `warning: iteration ${state.iteration}: ${record.cappedSolves} per-sample solve(s) stopped at the iteration cap ` +
            `(hypergradient.maxIterations) before meeting their tolerances; the logged epsilon, delta and bound certify what was reached`,
        );
      }
      progress.update({
        iteration: state.iteration,
        loss: record.loss,
        bound: record.bound,
        capped: record.cappedSolves,
        psnr: row.psnr,
        cost: record.totalIterations,
        fraction: budgetFraction(cfg, state),
      });
      if (state.iteration % cfg.checkpointEvery === 0) {
        saveCheckpoint();
        saveParams();
        status({ status: 'running' });
      }
      options.onStep?.(row);
      if (record.converged) stopCause = 'converged';
      else stopCause = budgetReached(cfg, state);
      await yieldToEventLoop();
    }
  } finally {
    progress.stop();
    log.close();
  }

  if (checkpointIteration !== state.iteration) saveCheckpoint();
  saveParams();
  if (stopCause === 'interrupted') {
    status({ status: 'interrupted', stopCause });
    write(`interrupted: checkpoint of iteration ${state.iteration} written to ${ckptPath}; continue with --resume`);
  } else {
    status({ status: 'running', stopCause });
    write(`stopped after ${state.iteration} iterations (${stopCause}); writing pictures and report …`);
    const results = options.artifacts === false ? undefined : await writeRunArtifacts(outDir, cfg, dataset, problem, state.theta);
    status({ status: 'completed', stopCause, ...(results ? { results } : {}) });
    if (options.artifacts !== false) writeReport(outDir);
    write(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${runFile(outDir, 'report')}`);
  }
  const rows = first && last ? { initialLoss: first.loss, finalLoss: last.loss } : { initialLoss: NaN, finalLoss: NaN };
  return {
    status: stopCause === 'interrupted' ? 'interrupted' : 'completed',
    stopCause,
    outDir,
    iterations: state.iteration,
    ...rows,
    theta: Float64Array.from(state.theta),
  };
}
