/**
 * `runExperiment`: train a model from an experiment config into a run directory, with progress,
 * periodic atomic checkpoints, clean interruption (abort signal / Ctrl-C) and `--resume`.
 * @module
 */
import {
  BilevelError, NumericalError, ValidationError, abortSignal, anyOf, maxTotalIterations, runAsync, totalIterations, untilIteration, when,
  type RunCallbacks, type RunResult, type StepEvent, type StopReason, type StoppingCriterion,
} from '@bilevel/core';
import { psnrFromLoss } from '@bilevel/imaging';
import { optimizerCheckpoints, optimizerMachine, type Checkpoint, type Optimizer, type OptimizerState, type StepRecord } from '@bilevel/optimizers';
import { JsonlWriter, readCheckpoint, writeCheckpointAtomic } from '@bilevel/optimizers/node';
import type { ComputeConfig, ExperimentConfig } from '../config/schema.js';
import { buildDataset, describeSource, resolveSource, type Dataset } from '../data.js';
import { meanPsnrAt, writeRunArtifacts } from '../report/artifacts.js';
import { writeReport } from '../report/report.js';
import { buildOptimizer } from '../wiring/optimizer.js';
import { buildTrainingProblem, derivedParams } from '../wiring/problem.js';
import type { TrainingProblem } from '../wiring/types.js';
import { ComputeMeter, computeNote, type ComputeStep } from './compute.js';
import { runFile, writeJsonAtomic } from './files.js';
import { openRunFolder } from './folder.js';
import { tuneTvBaseline, writeRunModel } from './model-file.js';
import { createProgress, type ProgressMode } from './progress.js';
import { readRunConfig, stopWords, writeParams, writeStatus, type RunStatus } from './status.js';
import { stdoutLine } from './output.js';

/** Options of {@link runExperiment}. */
export interface RunExperimentOptions {
  /** The run directory (created if missing). */
  readonly outDir: string;
  /** Continue from `checkpoint.json` in `outDir` instead of starting afresh. */
  readonly resume?: boolean;
  /**
   * Replace the run in `outDir` even if it is unfinished (interrupted, or its process died) or a
   * completed run of another experiment. A completed or failed run of the same experiment is
   * replaced without it. A folder of other files is never written into.
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
  /** Where the per-sample solves run, replacing the config's `compute` section (`bilevel train --redis`). */
  readonly compute?: ComputeConfig;
}

/** Outcome of {@link runExperiment}. */
export interface RunExperimentResult {
  /** `completed` (budget reached or converged) or `interrupted` (abort signal). */
  readonly status: 'completed' | 'interrupted';
  /**
   * Why training stopped, in the vocabulary of core's run loop: `max-iterations`, `budget`
   * (lower-level work), `time-limit`, `converged`, `breakdown` (MAID stalled) or `aborted`.
   */
  readonly stopCause: StopReason;
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
  /** One name per entry of θ. */
  readonly paramNames: readonly string[];
  /** Whether the pictures and the report were written. */
  readonly artifacts: boolean;
}

/** One line of `log.jsonl`: the optimizer's step record plus the PSNR implied by the loss. */
export type LogRow = StepRecord & {
  /** PSNR (dB) of the (unclipped) training reconstructions implied by the batch loss. */
  readonly psnr: number;
  /** The parallel engine's use in this iteration (depends on the machine, like `wallTime`). */
  readonly compute?: ComputeStep;
  /** Mean PSNR (dB) of the test crops reconstructed at θ after this step (only on the iterations of `eval.testEvery`). */
  readonly testPsnr?: number;
};

/** The training config with defaults filled in and a relative folder made absolute (against `configDir`, the config file's folder). */
export function resolvedConfig(config: ExperimentConfig, configDir: string): ExperimentConfig {
  if (config.data.source === 'stdlib') return config;
  return { ...config, data: { ...config.data, source: resolveSource(config.data, configDir) } };
}

/** Keys of the config that may change on `--resume` (everything else must match the saved run). */
const RESUMABLE_KEYS = new Set(['budget', 'checkpointEvery', 'eval', 'description', '$schema', 'compute']);

function diffKeys(a: unknown, b: unknown, path = ''): string[] {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null || Array.isArray(a) || Array.isArray(b)) {
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [path || '(root)'];
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => diffKeys((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], path ? `${path}.${k}` : k));
}

/**
 * The keys at which two configs differ in what decides the trajectory — everything but the
 * budget, `checkpointEvery`, `eval`, `compute`, `description` and `$schema`, the keys that may
 * change on `--resume` (θ is the same bit for bit when only those differ).
 */
export function trajectoryDiffs(saved: ExperimentConfig, given: ExperimentConfig): string[] {
  return diffKeys(saved, given).filter((p) => !RESUMABLE_KEYS.has(p.split('.')[0]!));
}

function checkResumeConfig(saved: ExperimentConfig, given: ExperimentConfig, dir: string): void {
  const diffs = trajectoryDiffs(saved, given);
  if (diffs.length) {
    throw new ValidationError(
      `--resume: the config differs from the one the run in ${dir} was started with, at: ${diffs.join(', ')}; ` +
        'only budget, checkpointEvery, eval, compute and description may change on resume (start a new run with another --out instead)',
      diffs,
    );
  }
}

/** The divergence found after the step of `record` (core's loop stopped with `'diverged'`), naming the quantity. */
function divergence(record: StepRecord, state: OptimizerState, names: readonly string[]): NumericalError {
  const k = record.iteration + 1;
  if (!Number.isFinite(record.loss)) return new NumericalError(`the training loss became ${record.loss} at iteration ${k} (the run diverged)`);
  if (!Number.isFinite(record.gradNorm)) return new NumericalError(`the hypergradient became ${record.gradNorm} at iteration ${k} (the run diverged)`);
  const i = state.theta.findIndex((v) => !Number.isFinite(v));
  return new NumericalError(`parameter ${names[i] ?? i} became ${state.theta[i]} after iteration ${k} (the run diverged)`);
}

function budgetFraction(config: ExperimentConfig, state: OptimizerState): number {
  const b = config.budget;
  let f = state.iteration / b.iterations;
  if (b.lowerLevelIterations) f = Math.max(f, totalIterations(state.cost) / b.lowerLevelIterations);
  if (b.wallTimeSeconds) f = Math.max(f, state.elapsed / 1000 / b.wallTimeSeconds);
  return Math.min(1, f);
}

/**
 * When training stops, as stop criteria of core's run loop, in this order: the budget —
 * upper-level iterations over all sessions (`state.iteration`, `'max-iterations'`), total
 * lower-level work (`totalIterations(state.cost)`, `'budget'`), wall time in optimizer steps over
 * all sessions (`state.elapsed` is cumulative, `'time-limit'`) — then the abort signal
 * (`'aborted'`). Convergence, divergence and a stalled MAID are the optimizer machine's own halts.
 */
export function trainingStop(config: ExperimentConfig, signal?: AbortSignal): StoppingCriterion<OptimizerState> {
  const b = config.budget;
  const criteria: StoppingCriterion<OptimizerState>[] = [untilIteration(b.iterations)];
  if (b.lowerLevelIterations !== undefined) criteria.push(maxTotalIterations(b.lowerLevelIterations));
  const seconds = b.wallTimeSeconds;
  if (seconds !== undefined) criteria.push(when<OptimizerState>((c) => c.state.elapsed / 1000 >= seconds, 'time-limit', `state.elapsed ≥ ${seconds} s`));
  if (signal) criteria.push(abortSignal(signal));
  return anyOf(...criteria);
}

/**
 * The training problem of a validated config. The library packages validate their own options
 * with their own names; an error there is reported as one of the config's `model` section (the
 * schema bounds the values it knows, so this is the last line of defence).
 */
function buildProblem(cfg: ExperimentConfig, dataset: Dataset, write: (line: string) => void): TrainingProblem {
  try {
    return buildTrainingProblem(cfg, dataset.train, { log: write });
  } catch (e) {
    if (!(e instanceof ValidationError) || /^(data|model|optimizer|hypergradient|budget|eval)[.:\s]/.test(e.message)) throw e;
    throw new ValidationError(
      `model: the lower-level model of this config cannot be built (${e.message.replace(/\s*\n\s*/g, ' ')}); check the values of the "model" section`,
    );
  }
}

/**
 * The optimizer state of a `--resume`: the saved config must match (except the keys that may
 * change), and the checkpoint must restore to a finite θ. A damaged checkpoint is refused with
 * the way out (`--force`); the run folder is left as it is (not marked failed).
 */
function resumeState(dir: string, cfg: ExperimentConfig, optimizer: Optimizer<OptimizerState>, names: readonly string[]): OptimizerState {
  checkResumeConfig(readRunConfig(dir), cfg, dir);
  const path = runFile(dir, 'checkpoint');
  const damaged = (why: string): ValidationError =>
    new ValidationError(
      `--resume: the checkpoint ${path} ${why}, so the run cannot be resumed; the folder is left as it is — start afresh with --force (without --resume), or choose another --out`,
    );
  let checkpoint: Checkpoint;
  let state: OptimizerState;
  try {
    checkpoint = readCheckpoint(path);
    state = optimizer.restore(checkpoint);
  } catch (e) {
    if (e instanceof BilevelError && !(e instanceof ValidationError)) throw e;
    throw damaged(`is damaged (${(e as Error).message.replace(/\s*\n\s*/g, ' ')})`);
  }
  const bad = state.theta.findIndex((v) => !Number.isFinite(v));
  if (bad >= 0) throw damaged(`holds a non-finite parameter (${names[bad] ?? `θ[${bad}]`} = ${state.theta[bad]})`);
  return state;
}

/**
 * Train the model of `config` and write the run directory `options.outDir`:
 * `config.json`, `log.jsonl` (one line per upper-level iteration), `checkpoint.json` (every
 * `checkpointEvery` iterations, at the end and on interruption; written atomically, so a crash
 * or a diverging run never destroys the previous one), `params.json`, `run.json`, and at the end
 * the pictures, curves and `report.md`.
 *
 * The folder is opened safely first ({@link openRunFolder}: lock, no writing into other files,
 * `--resume`/`--force` rules), then the data, model, optimizer and (on resume) checkpoint are
 * built; only when all of them succeed is anything written, so a config or data error leaves
 * the folder as it was. Stops when the budget is reached (iterations, total lower-level work,
 * wall time), when the optimizer reports convergence, or when `options.signal` is aborted
 * (status `interrupted`; continue with `resume: true`). If the process exits meanwhile (a second
 * Ctrl-C), `run.json` is still marked `interrupted` with the last checkpoint. A non-finite loss,
 * hypergradient or θ throws a `NumericalError` naming the iteration; the last checkpoint stays
 * intact.
 */
export async function runExperiment(config: ExperimentConfig, options: RunExperimentOptions): Promise<RunExperimentResult> {
  const t0 = Date.now();
  const write = options.write ?? stdoutLine;
  const resolved = resolvedConfig(config, options.configDir ?? '.');
  const cfg = options.compute ? { ...resolved, compute: options.compute } : resolved;
  const resume = options.resume ?? false;
  const folder = openRunFolder(options.outDir, { resume, force: options.force ?? false, name: cfg.name });
  const outDir = folder.dir;
  const previous = folder.previous;
  const ckptPath = runFile(outDir, 'checkpoint');

  let dataset: Dataset;
  let problem: TrainingProblem;
  let optimizer: Optimizer<OptimizerState>;
  let state: OptimizerState;
  let release = (): void => {};
  try {
    write(`loading data (${describeSource(cfg.data)}) …`);
    dataset = buildDataset(cfg, options.configDir ?? '.');
    problem = buildProblem(cfg, dataset, write);
    release = problem.compute.close;
    optimizer = buildOptimizer(cfg, problem);
    state = resume ? resumeState(outDir, cfg, optimizer, problem.paramNames) : optimizer.init(problem.theta0);
  } catch (e) {
    release();
    folder.abandon();
    throw e;
  }

  // from here on the folder is written
  let finished = false;
  let checkpointIteration: number | undefined = resume ? state.iteration : undefined;
  const startedAt = previous?.startedAt && resume ? previous.startedAt : new Date().toISOString();
  const sessions = (resume ? (previous?.sessions ?? 1) : 0) + 1;
  const priorSeconds = resume ? (previous?.commandSeconds ?? 0) : 0;
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
  /** The process exits before the run is finished (a second Ctrl-C): record the interruption. */
  const onExit = (): void => {
    if (!finished) status({ status: 'interrupted', stopCause: 'aborted' });
    folder.release();
  };
  process.on('exit', onExit);
  try {
    if (!resume) {
      if (previous) write(`replacing the ${previous.status} run of ${previous.name} in ${outDir}`);
      folder.clear();
    }
    status({ status: 'running' });
    writeJsonAtomic(runFile(outDir, 'config'), cfg);
    return await train(cfg, options, { outDir, ckptPath, dataset, problem, optimizer, state, t0, write, status }, {
      get: () => checkpointIteration,
      set: (k) => (checkpointIteration = k),
      finish: () => (finished = true),
    });
  } finally {
    release();
    process.off('exit', onExit);
    folder.release();
  }
}

/** What {@link train} works on. */
interface Session {
  readonly outDir: string;
  readonly ckptPath: string;
  readonly dataset: Dataset;
  readonly problem: TrainingProblem;
  readonly optimizer: Optimizer<OptimizerState>;
  readonly state: OptimizerState;
  readonly t0: number;
  readonly write: (line: string) => void;
  readonly status: (s: Partial<RunStatus> & Pick<RunStatus, 'status'>) => void;
}

/** The iteration of the last checkpoint, shared with the exit hook, and the end of the run. */
interface CheckpointMark {
  get(): number | undefined;
  set(iteration: number): void;
  /** The run reached a final status (completed or failed): the exit hook leaves it alone. */
  finish(): void;
}

/** The failure of a run at upper-level iteration `k`, with the way out, as the error to throw. */
function failure(cfg: ExperimentConfig, e: unknown, k: number, ckptPath: string, checkpoint: number | undefined): BilevelError {
  const kept = checkpoint !== undefined ? `the last checkpoint (iteration ${checkpoint}) in ${ckptPath} is intact` : 'no checkpoint had been written yet';
  const fixedStep = cfg.optimizer.kind === 'gd' || cfg.optimizer.kind === 'sgd' || cfg.optimizer.kind === 'adam';
  const blewUp = e instanceof NumericalError || /over- or underflow|NaN|Infinity|diverg/i.test((e as Error).message);
  const hint = blewUp
    ? fixedStep
      ? ' — the run diverged: lower optimizer.stepSize (or use optimizer "maid", which adapts the step)'
      : ' — the run diverged: check the model initialisation and the tolerances'
    : '';
  const message = `training failed at iteration ${k}: ${(e as Error).message}${hint}; ${kept}`;
  if (e instanceof BilevelError) {
    const Ctor = e.constructor as new (m: string) => BilevelError;
    return new Ctor(message);
  }
  return new BilevelError(message);
}

/** The training loop (core's `runAsync` with the app's callbacks) and the end of a run (checkpoint, params, status, pictures, report). */
async function train(cfg: ExperimentConfig, options: RunExperimentOptions, session: Session, mark: CheckpointMark): Promise<RunExperimentResult> {
  const { outDir, ckptPath, dataset, problem, optimizer, state, t0, write, status } = session;
  const resume = options.resume ?? false;
  const saveCheckpoint = (): void => {
    writeCheckpointAtomic(ckptPath, optimizer.checkpoint(state));
    mark.set(state.iteration);
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

  const log = new JsonlWriter(runFile(outDir, 'log'), resume ? { keep: (r) => Number(r.iteration) < state.iteration } : { truncate: true });
  const progress = createProgress(options.progress ?? 'auto', write);
  write(
    `${resume ? 'resuming' : 'training'} ${cfg.name}: ${dataset.train.length} training crops, ${problem.theta0.length} parameters, ` +
      `${cfg.hypergradient.kind} hypergradient, ${cfg.optimizer.kind} → ${outDir}`,
  );
  if (!resume) saveParams();

  const meter = new ComputeMeter(problem.compute);
  const testEvery = cfg.eval.testEvery;
  const iteration0 = state.iteration;
  let first: StepRecord | undefined;
  let last: StepRecord | undefined;
  let lastRow: LogRow | undefined;
  /** The JSONL log, the capped-solves warning and the progress line of every step (not of a diverged one). */
  const record: RunCallbacks<OptimizerState, StepRecord> = {
    usesCertificate: false,
    onStep: ({ record, halt }) => {
      if (halt === 'diverged') return;
      first ??= record;
      last = record;
      const compute = meter.step();
      const tracked = testEvery !== undefined && record.iteration % testEvery === 0;
      const row: LogRow = {
        ...record,
        psnr: psnrFromLoss(record.loss, problem.pixelsPerSample, problem.reduction),
        compute,
        ...(tracked ? { testPsnr: meanPsnrAt(cfg, state.theta, dataset.test) } : {}),
      };
      lastRow = row;
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
        compute: computeNote(compute),
      });
    },
  };
  /** Every `checkpointEvery` iterations: the checkpoint, then params.json and run.json. */
  const checkpoints = optimizerCheckpoints(
    optimizer,
    cfg.checkpointEvery,
    (checkpoint) => {
      writeCheckpointAtomic(ckptPath, checkpoint);
      mark.set(state.iteration);
      saveParams();
      writeRunModel(outDir, cfg, state.theta, dataset.sources.train);
      status({ status: 'running' });
    },
    { onStop: false },
  );
  const onStep = options.onStep;
  const callbacks = [record, checkpoints, ...(onStep ? [{ usesCertificate: false, onStep: (e: StepEvent<OptimizerState, StepRecord>): void => {
          if (e.halt !== 'diverged' && lastRow) onStep(lastRow);
        },
      }] : [])];

  /** Mark the run failed at iteration `k` (run.json with the message) and return the error to throw. */
  const fail = (e: unknown, k: number, stopCause?: StopReason): BilevelError => {
    const error = failure(cfg, e, k, ckptPath, mark.get());
    status({ status: 'failed', ...(stopCause ? { stopCause } : {}), message: error.message });
    mark.finish();
    return error;
  };
  let result: RunResult<OptimizerState, StepRecord, undefined>;
  progress.start(cfg.budget.iterations, state.iteration);
  try {
    result = await runAsync(optimizerMachine(optimizer, problem.oracle), state, { stop: trainingStop(cfg, options.signal), callbacks });
  } catch (e) {
    throw fail(e, state.iteration + 1); // the step that threw did not advance the state
  } finally {
    progress.stop();
    log.close();
  }
  const reason = result.reason;
  if (reason === 'diverged') throw fail(divergence(result.record!, state, problem.paramNames), state.iteration, reason);

  if (mark.get() !== state.iteration) saveCheckpoint();
  saveParams();
  const interrupted = reason === 'aborted';
  writeRunModel(outDir, cfg, state.theta, dataset.sources.train, interrupted ? undefined : tuneTvBaseline(cfg, dataset.train, write));
  const artifacts = options.artifacts !== false && !interrupted;
  const why = stopWords(reason);
  if (interrupted) {
    status({ status: 'interrupted', stopCause: reason });
    write(`interrupted: checkpoint of iteration ${state.iteration} written to ${ckptPath}; continue with --resume`);
  } else if (artifacts) {
    status({ status: 'running', stopCause: reason });
    write(`stopped after ${state.iteration} iterations (${why}); writing pictures and report …`);
    const results = await writeRunArtifacts(outDir, cfg, dataset, problem, state.theta);
    status({ status: 'completed', stopCause: reason, results, compute: meter.summary(state.iteration - iteration0) });
    writeReport(outDir);
    write(`done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${runFile(outDir, 'report')}`);
  } else {
    status({ status: 'completed', stopCause: reason, compute: meter.summary(state.iteration - iteration0) });
    write(`stopped after ${state.iteration} iterations (${why}); no pictures or report (--no-report); done in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${outDir}`);
  }
  if (!interrupted) mark.finish();
  const rows = first && last ? { initialLoss: first.loss, finalLoss: last.loss } : { initialLoss: NaN, finalLoss: NaN };
  return {
    status: interrupted ? 'interrupted' : 'completed',
    stopCause: reason,
    outDir,
    iterations: state.iteration,
    ...rows,
    theta: Float64Array.from(state.theta),
    paramNames: [...problem.paramNames],
    artifacts,
  };
}
