/**
 * `bilevel eval`: test-set PSNR/SSIM of a learned model against the degraded input, against
 * TV with its weight tuned by grid search on the training crops, and optionally against the
 * models of other runs on the same test crops; writes `eval.json`, the eval grid and chart, and
 * the evaluation section of `report.md`.
 * @module
 */
import { resolve } from 'node:path';
import { ValidationError } from '@bilevel/core';
import { clampImage, degradedLabel, ssim, type Image, type ImagePair } from '@bilevel/imaging';
import { writePng } from '@bilevel/imaging/node';
import type { ExperimentConfig } from './config/schema.js';
import { buildDataset } from './data.js';
import { comparisonGrid, psnrOf } from './report/pictures.js';
import { psnrBarsSpec, writeChart } from './report/plots.js';
import { writeReport } from './report/report.js';
import { RUN_CHARTS, runFile, writeJsonAtomic } from './run/files.js';
import { acquireRunLock } from './run/lock.js';
import { readParams, readRunConfig } from './run/status.js';
import { reconstruct, reconstructTv, tvDescription } from './wiring/problem.js';
import { stdoutLine } from './run/output.js';

/** Metrics of one method on the test crops. */
export interface MethodResult {
  /** `degraded`, `tv`, `learned` (this run) or `compared` (another run's model, `--compare`). */
  readonly method: 'degraded' | 'tv' | 'learned' | 'compared';
  /** Label in tables and pictures. */
  readonly label: string;
  /** Mean PSNR (dB, data range 1, estimate clipped to [0, 1]). */
  readonly psnr: number;
  /** Mean SSIM (data range 1, estimate clipped to [0, 1]). */
  readonly ssim: number;
  /** Per-crop numbers. */
  readonly perImage: readonly ImageMetrics[];
  /** Run directory of a compared model. */
  readonly runDir?: string;
}

/** PSNR and SSIM of one crop. */
export interface ImageMetrics {
  /** Crop name (`<image>#<k>`). */
  readonly name: string;
  /** PSNR (dB). */
  readonly psnr: number;
  /** SSIM. */
  readonly ssim: number;
}

/** One weight of the TV grid search with its mean training PSNR. */
export interface TvGridPoint {
  /** TV weight α. */
  readonly weight: number;
  /** Mean PSNR (dB) on the training crops. */
  readonly trainPsnr: number;
}

/** The tuned TV baseline: the chosen weight and the grid search behind it. */
export interface TvBaseline extends TvGridPoint {
  /** Every weight tried, sorted by weight. */
  readonly grid: readonly TvGridPoint[];
}

/** Contents of `eval.json`. */
export interface EvalResult {
  /** Always `bilevel-eval`. */
  readonly format: 'bilevel-eval';
  /** Experiment name. */
  readonly name: string;
  /** ISO time of the evaluation. */
  readonly evaluatedAt: string;
  /** Seconds the evaluation took. */
  readonly seconds: number;
  /** Upper-level iteration of the evaluated θ. */
  readonly iteration: number;
  /** Lower-level accuracy of every reconstruction. */
  readonly epsilon: number;
  /** Number of test crops. */
  readonly testCrops: number;
  /** Source images of the test crops. */
  readonly testImages: readonly string[];
  /** Number of training crops used to tune the TV weight. */
  readonly trainCrops: number;
  /** Degraded input, TV baseline and learned model. */
  readonly methods: readonly MethodResult[];
  /** The TV baseline: what it is, the chosen weight and the grid search. */
  readonly tv: TvBaseline & {
    /** What the baseline is (model and solver). */
    readonly description: string;
  };
  /** Chart file (PNG) of the mean PSNRs. */
  readonly chart: string;
}

/** Options of {@link evaluateRun}. */
export interface EvaluateOptions {
  /** Progress messages (default: stdout). */
  readonly write?: (line: string) => void;
  /**
   * Run directories of other trained models to evaluate on this run's test crops (same
   * degradation required), e.g. a Fields-of-Experts run next to an ICNN run.
   */
  readonly compare?: readonly string[];
}

const mean = (v: readonly number[]): number => v.reduce((a, b) => a + b, 0) / v.length;

function metrics(method: MethodResult['method'], label: string, pairs: readonly ImagePair[], images: readonly Image[], runDir?: string): MethodResult {
  const perImage = pairs.map((p, i) => ({
    name: p.name,
    psnr: psnrOf(images[i]!, p.clean),
    ssim: ssim(clampImage(images[i]!), p.clean, { dataRange: 1 }),
  }));
  return { method, label, psnr: mean(perImage.map((r) => r.psnr)), ssim: mean(perImage.map((r) => r.ssim)), perImage, ...(runDir ? { runDir } : {}) };
}

/** A run directory with its config and learned θ. */
interface LoadedRun {
  readonly dir: string;
  readonly config: ExperimentConfig;
  readonly theta: Float64Array;
  readonly iteration: number;
}

/** Config and θ of a run directory (clear errors for anything else). */
function loadRun(runDir: string): LoadedRun {
  const dir = resolve(runDir);
  const config = readRunConfig(dir);
  const params = readParams(dir);
  return { dir, config, theta: Float64Array.from(params.theta), iteration: params.iteration };
}

/**
 * Reconstructions of `pairs` by another run's model, which must have been trained for the same
 * degradation (a model only makes sense on the corruption it was trained for).
 */
function comparedRun(
  runDir: string,
  config: ExperimentConfig,
  pairs: readonly ImagePair[],
  opts: { epsilon: number; maxIterations: number },
): { label: string; images: Image[]; dir: string } {
  const other = loadRun(runDir);
  const a = JSON.stringify(config.data.degradation);
  const b = JSON.stringify(other.config.data.degradation);
  if (a !== b) throw new ValidationError(`--compare ${other.dir}: its degradation ${b} differs from this run's ${a}`);
  const images = pairs.map((p) => {
    try {
      return reconstruct(other.config, other.theta, p.degraded, opts, p.forward).image;
    } catch (e) {
      throw new ValidationError(`--compare ${other.dir}: its ${other.config.model.kind} model cannot reconstruct this run's ${p.degraded.height}×${p.degraded.width} test crops (${(e as Error).message})`);
    }
  });
  return { label: `${other.config.name} (${other.config.model.kind})`, images, dir: other.dir };
}

/** Log-spaced grid `min … max` with `count` points. */
export function logGrid(min: number, max: number, count: number): number[] {
  if (count === 1) return [min];
  const a = Math.log(min);
  const b = Math.log(max);
  return Array.from({ length: count }, (_, i) => Math.exp(a + ((b - a) * i) / (count - 1)));
}

/**
 * Tune the TV weight on the training crops: the best of a log-spaced grid, then the best of a
 * finer grid between its neighbours (the grid search of the usual TV baseline).
 */
export function tuneTvWeight(
  config: ExperimentConfig,
  pairs: readonly ImagePair[],
  write: (line: string) => void,
): TvBaseline {
  const opts = { epsilon: config.eval.epsilon, maxIterations: config.eval.maxIterations };
  const score = (w: number): number => mean(pairs.map((p) => psnrOf(reconstructTv(config, w, p.degraded, opts, p.forward).image, p.clean)));
  const { min, max, count } = config.eval.tvWeights;
  const coarse = logGrid(min, max, count);
  const grid: TvGridPoint[] = coarse.map((weight) => ({ weight, trainPsnr: score(weight) }));
  let best = grid.reduce((a, b) => (b.trainPsnr > a.trainPsnr ? b : a));
  const k = coarse.indexOf(best.weight);
  const lo = coarse[Math.max(0, k - 1)]!;
  const hi = coarse[Math.min(coarse.length - 1, k + 1)]!;
  for (const weight of logGrid(lo, hi, 7)) {
    if (coarse.includes(weight)) continue;
    const e = { weight, trainPsnr: score(weight) };
    grid.push(e);
    if (e.trainPsnr > best.trainPsnr) best = e;
  }
  grid.sort((a, b) => a.weight - b.weight);
  write(`TV weight ${best.weight.toPrecision(3)} (training PSNR ${best.trainPsnr.toFixed(2)} dB, ${grid.length} weights tried)`);
  return { ...best, grid };
}

/**
 * Evaluate a finished run: rebuild its data from `config.json` (same seed, same crops), load θ
 * from `params.json`, reconstruct the test crops with the learned model and with TV (weight tuned
 * on the training crops), and write `eval.json`, `eval-grid.png`, `eval-psnr.{svg,png}` and the
 * evaluation section of `report.md`. The run directory is locked meanwhile (a running `bilevel
 * train` on it makes `eval` refuse, and the other way round).
 */
export async function evaluateRun(runDir: string, options: EvaluateOptions = {}): Promise<EvalResult> {
  const t0 = Date.now();
  const write = options.write ?? stdoutLine;
  const run = loadRun(runDir);
  const lock = acquireRunLock(run.dir, 'eval');
  try {
    return await evaluateLocked(run, write, options, t0);
  } finally {
    lock.release();
  }
}

/** {@link evaluateRun} once the run directory is locked. */
async function evaluateLocked(run: LoadedRun, write: (line: string) => void, options: EvaluateOptions, t0: number): Promise<EvalResult> {
  const { dir, config, theta, iteration } = run;
  const data = buildDataset(config, dir);
  write(`evaluating ${config.name} (iteration ${iteration}) on ${data.test.length} test crops …`);
  const opts = { epsilon: config.eval.epsilon, maxIterations: config.eval.maxIterations };
  const compared = (options.compare ?? []).map((d) => comparedRun(d, config, data.test, opts));
  const tv = tuneTvWeight(config, data.train, write);
  const tvImages = data.test.map((p) => reconstructTv(config, tv.weight, p.degraded, opts, p.forward).image);
  const learned = data.test.map((p) => reconstruct(config, theta, p.degraded, opts, p.forward).image);
  const label = degradedLabel(config.data.degradation);
  const methods = [
    metrics('degraded', `${label} input`, data.test, data.test.map((p) => p.degraded)),
    metrics('tv', `TV (weight ${tv.weight.toPrecision(3)})`, data.test, tvImages),
    metrics('learned', `learned ${config.model.kind}`, data.test, learned),
    ...compared.map((c) => metrics('compared', c.label, data.test, c.images, c.dir)),
  ];
  const shown = Math.min(config.eval.showImages, data.test.length);
  writePng(
    runFile(dir, 'evalGrid'),
    comparisonGrid(
      data.test.slice(0, shown).map((p, i) => ({
        clean: p.clean,
        columns: [
          [label, p.degraded],
          ['TV', tvImages[i]!],
          ['learned', learned[i]!],
          ...compared.map((c): [string, Image] => [c.label, c.images[i]!]),
        ],
      })),
    ),
  );
  const chart = await writeChart(
    dir,
    RUN_CHARTS.evalPsnr,
    psnrBarsSpec(
      methods.map((m) => ({ method: m.label, psnr: m.psnr })),
      `${config.name}: mean PSNR on ${data.test.length} test crops`,
    ),
  );
  const result: EvalResult = {
    format: 'bilevel-eval',
    name: config.name,
    evaluatedAt: new Date().toISOString(),
    seconds: (Date.now() - t0) / 1000,
    iteration,
    epsilon: config.eval.epsilon,
    testCrops: data.test.length,
    testImages: data.sources.test,
    trainCrops: data.train.length,
    methods,
    tv: { description: tvDescription(config), ...tv },
    chart: chart.png,
  };
  writeJsonAtomic(runFile(dir, 'eval'), result);
  writeReport(dir);
  for (const m of methods) write(`  ${m.label.padEnd(28)} PSNR ${m.psnr.toFixed(2)} dB   SSIM ${m.ssim.toFixed(4)}`);
  write(`wrote ${runFile(dir, 'eval')} and the evaluation section of ${runFile(dir, 'report')}`);
  return result;
}
