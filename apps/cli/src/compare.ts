/**
 * `bilevel compare`: upper-level methods side by side on one problem — test PSNR against the
 * work done (lower-level + adjoint + CG iterations), as the MAID / inexact-SGD papers compare
 * them (arXiv 2412.12049, §5; docs/math/maid.md, docs/math/inexact-sgd.md). The runs must share their
 * data (same crops, same degradation) and track their test PSNR while training
 * (`eval.testEvery`). A comparison file names experiment configs; `bilevel compare <file>` trains
 * the ones not yet completed and writes the overlay, the table and `compare.json`.
 * @module
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ValidationError, parseOrThrow, stringifyJson, z } from '@bilevel/core';
import type { TopLevelSpec } from 'vega-lite';
import { readJsonFile } from './config/load.js';
import { loadExperimentConfig } from './config/experiment-file.js';
import type { ExperimentConfig } from './config/schema.js';
import { configDirOf } from './data.js';
import { stdoutLine } from './run/output.js';
import { readRunConfig, readStatus, type RunResults } from './run/status.js';
import { runExperiment } from './run/train.js';
import { readCurve } from './report/artifacts.js';
import { writeChart } from './report/plots.js';

/** One point of a test-PSNR curve. */
export interface TestPsnrPoint {
  /** Upper-level iterations done (0: θ₀). */
  readonly iteration: number;
  /** Cumulative lower-level + adjoint + CG iterations. */
  readonly cost: number;
  /** Mean test PSNR (dB) at that θ. */
  readonly psnr: number;
}

/** One run of a comparison. */
export interface ComparedRun {
  /** Experiment name. */
  readonly name: string;
  /** Run directory (absolute). */
  readonly dir: string;
  /** Upper-level method (`maid`, `adam`, …). */
  readonly optimizer: string;
  /** Hypergradient estimator. */
  readonly hypergradient: string;
  /** Test PSNR at θ₀, at every tracked iteration and at the learned θ. */
  readonly curve: readonly TestPsnrPoint[];
  /** Test PSNR (dB) of the learned θ. */
  readonly finalPsnr: number;
  /** Work of the whole run. */
  readonly finalCost: number;
  /** Upper-level iterations of the whole run. */
  readonly iterations: number;
  /** First tracked point at or above the target (the reference's final test PSNR); null: never reached. */
  readonly reached: TestPsnrPoint | null;
}

/** Result of {@link compareRuns} (`compare.json`). */
export interface ComparisonResult {
  /** Always `bilevel-comparison`. */
  readonly format: 'bilevel-comparison';
  /** The reference run (the first given). */
  readonly reference: string;
  /** Its final test PSNR: the level every run is timed to. */
  readonly target: number;
  /** The runs, reference first. */
  readonly runs: readonly ComparedRun[];
  /**
   * Work each run needed to reach the target, divided by the reference's (null when a run never
   * reached it): < 1 means faster than the reference.
   */
  readonly workRatio: Readonly<Record<string, number | null>>;
}

/** The data a test PSNR depends on (compared runs must agree on it). */
const dataKey = (c: ExperimentConfig): string => JSON.stringify({ data: c.data, seed: c.seed, eval: c.eval.epsilon });

/** The compared run in `dir`: completed, with test PSNR tracking. */
function comparedRun(dir: string): { run: Omit<ComparedRun, 'reached'>; config: ExperimentConfig } {
  const abs = resolve(dir);
  const config = readRunConfig(abs);
  const status = readStatus(abs);
  const results: RunResults | undefined = status?.results;
  if (status?.status !== 'completed' || !results) {
    throw new ValidationError(`bilevel compare: ${abs} is not a completed run with a report (status ${status?.status ?? 'missing'}); finish it first (bilevel train … --resume)`);
  }
  const tracked = readCurve(abs).flatMap((p) => (p.testPsnr === undefined ? [] : [{ iteration: p.iteration, cost: p.cost, psnr: p.testPsnr }]));
  if (!tracked.length) {
    throw new ValidationError(`bilevel compare: ${abs} has no test PSNR in its log; train it with eval.testEvery set (e.g. "eval": { "testEvery": 10 })`);
  }
  const curve = [{ iteration: 0, cost: 0, psnr: results.test.initial }, ...tracked, { iteration: status.iteration, cost: results.totalIterations, psnr: results.test.learned }];
  return {
    config,
    run: {
      name: config.name,
      dir: abs,
      optimizer: config.optimizer.kind,
      hypergradient: config.hypergradient.kind,
      curve,
      finalPsnr: results.test.learned,
      finalCost: results.totalIterations,
      iterations: status.iteration,
    },
  };
}

/**
 * Compare completed runs: the reference (first) run's final test PSNR is the target; for every
 * run the first tracked point reaching it and the work relative to the reference's. Refuses runs
 * whose data differ (their test PSNRs would not be comparable).
 */
export function compareRuns(dirs: readonly string[]): ComparisonResult {
  if (dirs.length < 2) throw new ValidationError('bilevel compare: give at least two run directories (the first is the reference)');
  const loaded = dirs.map(comparedRun);
  const key = dataKey(loaded[0]!.config);
  for (const l of loaded.slice(1)) {
    if (dataKey(l.config) !== key) {
      throw new ValidationError(`bilevel compare: ${l.run.dir} was trained on other data than ${loaded[0]!.run.dir} (data, seed and eval.epsilon must match for test PSNRs to be comparable)`);
    }
  }
  const target = loaded[0]!.run.finalPsnr;
  const runs = loaded.map(({ run }) => ({ ...run, reached: run.curve.find((p) => p.psnr >= target) ?? null }));
  const base = runs[0]!.reached!.cost; // the reference reaches its own final value at the latest at its end
  const workRatio = Object.fromEntries(runs.map((r) => [r.name, r.reached ? r.reached.cost / base : null]));
  return { format: 'bilevel-comparison', reference: runs[0]!.name, target, runs, workRatio };
}

/** Test PSNR against work, one line per run. */
export function comparisonSpec(result: ComparisonResult, title: string): TopLevelSpec {
  const values = result.runs.flatMap((r) => r.curve.map((p) => ({ run: `${r.optimizer}: ${r.name}`, cost: p.cost, psnr: p.psnr })));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: 'mean test PSNR against work', subtitle: [title, `dashed: the final test PSNR of the reference ${result.reference}`] },
    config: { font: 'sans-serif', view: { stroke: null } },
    data: { values },
    width: 520,
    height: 260,
    layer: [
      {
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'cost', type: 'quantitative', title: 'lower-level + adjoint + CG iterations' },
          y: { field: 'psnr', type: 'quantitative', title: 'mean test PSNR (dB)', scale: { zero: false } },
          color: { field: 'run', type: 'nominal', title: null, legend: { orient: 'bottom', direction: 'vertical', labelLimit: 600 } },
        },
      },
      { mark: { type: 'rule', strokeDash: [4, 4], color: 'gray' }, encoding: { y: { datum: result.target } } },
    ],
  } as TopLevelSpec;
}

/** The comparison as Markdown. */
export function comparisonMarkdown(result: ComparisonResult, title: string): string {
  const f = (v: number): string => v.toFixed(2);
  const rows = result.runs.map((r) => {
    const ratio = result.workRatio[r.name];
    const reach = r.reached ? `${r.reached.cost} (iteration ${r.reached.iteration})` : 'not reached';
    return `| ${r.name} | ${r.optimizer} / ${r.hypergradient} | ${f(r.curve[0]!.psnr)} | ${f(r.finalPsnr)} | ${r.iterations} | ${r.finalCost} | ${reach} | ${ratio === null || ratio === undefined ? '—' : ratio.toFixed(3)} |`;
  });
  return [
    `# ${title}`,
    '',
    `Target: the final test PSNR of the reference run ${result.reference}, ${f(result.target)} dB. Work = lower-level + adjoint + CG iterations.`,
    '',
    '| run | method | test PSNR at θ₀ | final test PSNR | iterations | work | work to reach the target | ratio to the reference |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    '![test PSNR against work](test-psnr-vs-work.svg)',
    '',
  ].join('\n');
}

/** Write `compare.json`, `compare.md` and `test-psnr-vs-work.{svg,png}` into `out`. */
export async function writeComparison(result: ComparisonResult, out: string, title: string): Promise<void> {
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'compare.json'), `${stringifyJson(result, 2)}\n`);
  writeFileSync(join(out, 'compare.md'), comparisonMarkdown(result, title));
  await writeChart(out, 'test-psnr-vs-work', comparisonSpec(result, title));
}

const comparisonFileSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Name of the comparison (output folder `runs/<name>`). */
  name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a slug: lower-case letters, digits, ".", "_", "-"'),
  /** What is compared. */
  description: z.string().default(''),
  /** Experiment configs (paths relative to this file), the reference first. */
  runs: z.array(z.string().min(1)).min(2, 'needs at least two experiment configs (the first is the reference)'),
});

/** Options of {@link runComparison}. */
export interface RunComparisonOptions {
  /** Output folder (default `runs/<name>`); each run trains into `<out>/<experiment name>`. */
  readonly out?: string;
  /** Progress lines (default: stdout). */
  readonly write?: (line: string) => void;
  /** Aborts the training of a run (it can be resumed by rerunning the comparison). */
  readonly signal?: AbortSignal;
}

/**
 * Run a comparison file: train every listed experiment that has no completed run in
 * `<out>/<name>` (an interrupted one is resumed), then compare them ({@link compareRuns}) and write
 * the result into `out`. Returns undefined when a training was interrupted.
 */
export async function runComparison(path: string, options: RunComparisonOptions = {}): Promise<ComparisonResult | undefined> {
  const write = options.write ?? stdoutLine;
  const file = parseOrThrow(comparisonFileSchema, readJsonFile(path, 'comparison file'), `comparison ${path}`);
  const out = resolve(options.out ?? join('runs', file.name));
  const dirs: string[] = [];
  for (const rel of file.runs) {
    const configPath = resolve(dirname(path), rel);
    if (!existsSync(configPath)) throw new ValidationError(`comparison ${path}: its run ${rel} is no file (${configPath})`);
    const config = loadExperimentConfig(configPath);
    const dir = join(out, config.name);
    dirs.push(dir);
    const status = existsSync(dir) ? readStatus(dir) : undefined;
    if (status?.status === 'completed') {
      write(`${config.name}: completed run in ${dir}`);
      continue;
    }
    const r = await runExperiment(config, {
      outDir: dir,
      resume: status?.status === 'interrupted',
      write,
      configDir: configDirOf(configPath),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (r.status === 'interrupted') return undefined;
  }
  const result = compareRuns(dirs);
  await writeComparison(result, out, file.description || file.name);
  write(`compared ${dirs.length} runs: ${join(out, 'compare.md')}`);
  return result;
}
