/**
 * The pictures of a finished training run: reconstructions of training and test crops at the
 * initial and learned θ (PNG grids with PSNR captions), loss/PSNR curves against work and wall
 * time, the accuracy plot of the upper-level method, and the learned filters.
 * @module
 */
import { degradedLabel, type Image, type ImagePair } from '@bilevel/imaging';
import { writePng } from '@bilevel/imaging/node';
import type { ExperimentConfig } from '../config/schema.js';
import type { Dataset } from '../data.js';
import { RUN_CHARTS, readJsonLines, runFile } from '../run/files.js';
import type { RunResults } from '../run/status.js';
import { filterBank, reconstruct } from '../wiring/problem.js';
import type { TrainingProblem } from '../wiring/types.js';
import { comparisonGrid, filterPicture, psnrOf } from './pictures.js';
import { accuracySpec, curvesSpec, writeChart, type CurvePoint } from './plots.js';

/** A number from a log row (`readJsonl` reads the non-finite ones back as numbers). */
function num(v: unknown): number {
  return typeof v === 'number' ? v : NaN;
}

/** The curve points of a run's `log.jsonl`. */
export function readCurve(dir: string): CurvePoint[] {
  return readJsonLines(runFile(dir, 'log')).map((r) => ({
    iteration: num(r.iteration) + 1,
    loss: num(r.loss),
    psnr: num(r.psnr),
    cost: num(r.totalIterations),
    seconds: num(r.wallTime) / 1000,
    bound: num(r.bound),
    gradNorm: num(r.gradNorm),
    epsilon: num(r.epsilon),
    stepSize: num(r.stepSize),
    ...(typeof r.testPsnr === 'number' ? { testPsnr: r.testPsnr } : {}),
  }));
}

/** Write the curve charts of a run from its log. */
export async function writeCurves(dir: string, title: string): Promise<void> {
  const rows = readCurve(dir);
  if (rows.length === 0) return;
  await writeChart(dir, RUN_CHARTS.cost, curvesSpec(rows, 'cost', `${title}: training loss and PSNR against work`));
  await writeChart(dir, RUN_CHARTS.time, curvesSpec(rows, 'seconds', `${title}: training loss and PSNR against wall time`));
  await writeChart(dir, RUN_CHARTS.accuracy, accuracySpec(rows, `${title}: accuracy, bound, gradient norm and step size`));
}

const mean = (v: readonly number[]): number => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);

/** Reconstructions of `pairs` at θ (at the config's evaluation accuracy). */
export function reconstructAll(config: ExperimentConfig, theta: Float64Array, pairs: readonly ImagePair[]): Image[] {
  const opts = { epsilon: config.eval.epsilon, maxIterations: config.eval.maxIterations };
  return pairs.map((p) => reconstruct(config, theta, p.degraded, opts, p.forward).image);
}

/** Mean PSNR (dB) of the reconstructions of `pairs` at θ against their clean crops (the `testPsnr` of `eval.testEvery`). */
export function meanPsnrAt(config: ExperimentConfig, theta: Float64Array, pairs: readonly ImagePair[]): number {
  const images = reconstructAll(config, theta, pairs);
  return mean(pairs.map((p, i) => psnrOf(images[i]!, p.clean)));
}

/**
 * Reconstruct every training and test crop at θ₀ and at the learned θ, write the comparison
 * grids (`train-grid.png`, `test-grid.png`), the curves and the filter picture; return the numbers
 * for the report.
 */
export async function writeRunArtifacts(
  dir: string,
  config: ExperimentConfig,
  dataset: Dataset,
  problem: TrainingProblem,
  theta: Float64Array,
): Promise<RunResults> {
  const label = degradedLabel(config.data.degradation);
  const part = (pairs: readonly ImagePair[], file: 'trainGrid' | 'testGrid') => {
    const initial = reconstructAll(config, problem.theta0, pairs);
    const learned = reconstructAll(config, theta, pairs);
    const shown = Math.min(config.eval.showImages, pairs.length);
    writePng(
      runFile(dir, file),
      comparisonGrid(
        pairs.slice(0, shown).map((p, i) => ({
          clean: p.clean,
          columns: [
            [label, p.degraded],
            ['initial', initial[i]!],
            ['learned', learned[i]!],
          ],
        })),
      ),
    );
    return {
      degraded: mean(pairs.map((p) => psnrOf(p.degraded, p.clean))),
      initial: mean(pairs.map((p, i) => psnrOf(initial[i]!, p.clean))),
      learned: mean(pairs.map((p, i) => psnrOf(learned[i]!, p.clean))),
    };
  };
  const train = part(dataset.train, 'trainGrid');
  const test = part(dataset.test, 'testGrid');
  const bank = filterBank(config, theta);
  if (bank) writePng(runFile(dir, 'filters'), filterPicture(bank));
  await writeCurves(dir, config.name);
  const rows = readCurve(dir);
  const lastRow = rows[rows.length - 1];
  return {
    initialLoss: rows[0]?.loss ?? NaN,
    finalLoss: lastRow?.loss ?? NaN,
    train,
    test,
    totalIterations: lastRow?.cost ?? 0,
    seconds: lastRow?.seconds ?? 0,
  };
}
