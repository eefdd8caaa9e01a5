/**
 * `report.md` of a run: what was run, the numbers, the pictures. Regenerated from the files of
 * the run directory (config, params, status, log, eval), so `bilevel eval` can add its section.
 * @module
 */
import { existsSync } from 'node:fs';
import { readJsonFile } from '../config/load.js';
import type { ExperimentConfig } from '../config/schema.js';
import { describeSource } from '../data.js';
import { RUN_CHARTS, RUN_FILES, runFile, writeFileAtomic } from '../run/files.js';
import type { ComputeSummary } from '../run/compute.js';
import { readParams, readRunConfig, readStatus, stopWords, type ParamsFile, type RunStatus } from '../run/status.js';
import { optimizerLabel } from '../wiring/optimizer.js';
import type { EvalResult } from '../eval.js';
import { readCurve } from './artifacts.js';

function f(v: number | undefined, digits = 2): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? v.toExponential(digits) : v.toFixed(digits);
}

function sig(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  return Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5 ? v.toExponential(3) : String(Number(v.toPrecision(5)));
}

/** Escape a markdown table cell. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function dataLine(c: ExperimentConfig, part: 'train' | 'test'): string {
  const s = c.data[part];
  const imgs = s.images ? s.images.join(', ') : s.count !== undefined ? `first ${s.count} of the default ${part} split` : `default ${part} split`;
  return `${imgs}; ${s.cropsPerImage} crop(s) of ${s.cropSize}×${s.cropSize} per image`;
}

function degradationLine(c: ExperimentConfig): string {
  const d = c.data.degradation;
  const paired = typeof c.data.source === 'object' && 'clean' in c.data.source ? ' (forward operator of the data term; the pairs are real)' : '';
  if (d.kind === 'noise') return `additive Gaussian noise, σ = ${d.sigma}${d.clamp ? ' (clamped to [0, 1])' : ''}${paired}`;
  if (d.kind === 'blur') return `Gaussian blur ${d.size}×${d.size}, σ = ${d.sigma}, then noise σ = ${d.noise}${d.clamp ? ' (clamped)' : ''}${paired}`;
  return `random pixel mask per crop, ${(100 * d.fraction).toFixed(1)} % of the pixels removed, noise σ = ${d.noise} on the rest${d.clamp ? ' (clamped)' : ''}`;
}

function budgetLine(c: ExperimentConfig): string {
  const b = c.budget;
  return [
    `${b.iterations} upper-level iterations`,
    b.lowerLevelIterations ? `${b.lowerLevelIterations} lower-level + adjoint + CG iterations` : '',
    b.wallTimeSeconds ? `${b.wallTimeSeconds} s` : '',
  ]
    .filter(Boolean)
    .join(', or ');
}

function paramsSection(p: ParamsFile): string[] {
  const out = ['## Learned parameters', ''];
  const derived = Object.entries(p.derived);
  if (derived.length) {
    out.push('| quantity | value |', '|---|---|', ...derived.map(([k, v]) => `| ${cell(k)} | ${sig(v)} |`), '');
  }
  if (p.theta.length <= 12) {
    out.push('| θ | value |', '|---|---|', ...p.names.map((n, i) => `| \`${cell(n)}\` | ${sig(p.theta[i])} |`), '');
  } else {
    out.push(`${p.theta.length} parameters; all of them, with names, are in \`${RUN_FILES.params}\`.`, '');
  }
  return out;
}

/** Where the oracle's time went: engine, workers, the wall time split (solve, transfer, wait), bytes. */
function computeSection(c: ComputeSummary): string[] {
  const s = c.seconds;
  const pct = (v: number): string => (s.total > 0 ? `${Math.round((100 * v) / s.total)}%` : '–');
  const workers = Object.entries(c.perWorker).map(([id, w]) => `| \`${cell(id)}\` | ${w.tasks} | ${f(w.busySeconds)} | ${Math.round(100 * w.utilisation)}% |`);
  return [
    '## Compute',
    '',
    `Per-sample solves on the **${c.engine}** engine, ${c.workers} worker(s), ${c.tasks} tasks${c.resent ? ` (${c.resent} sent again after a lost worker)` : ''}. ` +
      `Wall time in hypergradient calls ${f(s.total)} s: solve ${f(s.solve)} s (${pct(s.solve)}, the busiest worker), transfer ${f(s.transfer)} s (${pct(s.transfer)}), ` +
      `wait ${f(s.wait)} s (${pct(s.wait)}: queueing, messaging, imbalance); mean queue wait ${f(c.queueMs)} ms; ${c.bytesPerIteration} bytes to and from the workers per iteration.`,
    '',
    ...(workers.length > 1 ? ['| worker | tasks | busy (s) | utilisation |', '|---|---|---|---|', ...workers, ''] : []),
  ];
}

function evalSection(e: EvalResult): string[] {
  const rows = e.methods.map((m) => `| ${cell(m.label)} | ${f(m.psnr)} | ${f(m.ssim, 4)} |`);
  return [
    '## Evaluation on the test crops (`bilevel eval`)',
    '',
    `${e.testCrops} test crops from ${e.testImages.join(', ')}; reconstructions solved to ε = ${e.epsilon}. ` +
      `TV baseline: ${e.tv.description}, weight ${sig(e.tv.weight)} chosen by grid search on the ${e.trainCrops} training crops ` +
      `(mean training PSNR ${f(e.tv.trainPsnr)} dB over ${e.tv.grid.length} weights).`,
    '',
    '| method | mean PSNR (dB) | mean SSIM |',
    '|---|---|---|',
    ...rows,
    '',
    `![test crops: clean, degraded, TV, learned](${RUN_FILES.evalGrid})`,
    '',
    `![mean test PSNR](${e.chart})`,
    '',
    `Evaluated ${e.evaluatedAt} in ${f(e.seconds, 1)} s; per-crop numbers in \`${RUN_FILES.eval}\`.`,
    '',
  ];
}

/** Build the markdown of a run's report from its files. */
export function buildReport(dir: string): string {
  const config = readRunConfig(dir);
  const status: RunStatus | undefined = readStatus(dir);
  const params = existsSync(runFile(dir, 'params')) ? readParams(dir) : undefined;
  const curve = readCurve(dir);
  const evalResult = existsSync(runFile(dir, 'eval')) ? (readJsonFile(runFile(dir, 'eval'), 'eval file') as EvalResult) : undefined;
  const r = status?.results;
  const last = curve[curve.length - 1];
  const out: string[] = [`# ${config.name}`, ''];
  if (config.description) out.push(config.description, '');
  out.push(
    `Status: **${status?.status ?? 'unknown'}**${status?.stopCause ? ` (${stopWords(status.stopCause)})` : ''} after ${status?.iteration ?? curve.length} upper-level iterations, ` +
      `${last ? last.cost : 0} lower-level + adjoint + CG iterations, ${f(last?.seconds, 1)} s in optimizer steps ` +
      `(${f(status?.commandSeconds, 1)} s for the whole command${status && status.sessions > 1 ? `, ${status.sessions} sessions` : ''}).`,
    '',
  );
  if (status?.message) out.push(`> ${status.message}`, '');
  out.push(
    '## Setup',
    '',
    '| | |',
    '|---|---|',
    `| data | ${config.data.source === 'stdlib' ? 'bundled CC0 photographs (@bilevel/imaging)' : describeSource(config.data)}, ${config.data.gray ? 'gray' : 'RGB'}, longer side ≤ ${config.data.maxSide} px |`,
    `| training | ${dataLine(config, 'train')} |`,
    `| test | ${dataLine(config, 'test')} |`,
    `| degradation | ${degradationLine(config)} |`,
    `| lower level | ${cell(params?.formula ?? config.model.kind)} |`,
    `| parameters | ${params?.theta.length ?? '?'} |`,
    `| hypergradient | ${config.hypergradient.kind === 'implicit' ? 'implicit differentiation (FISTA + CG), MAID error bound' : 'piggyback (PDHG + adjoint PDHG), Theorem 2 error bound'}; loss ${config.hypergradient.loss === 'sum' ? '½‖x − x†‖²' : '½‖x − x†‖²/n'} per crop, mean over crops |`,
    `| optimizer | ${optimizerLabel(config)} |`,
    `| budget | ${budgetLine(config)} |`,
    `| seed | ${config.seed} |`,
    '',
    `Full config: \`${RUN_FILES.config}\`.`,
    '',
  );
  out.push('## Results', '');
  if (r) {
    out.push(
      `Training loss ${sig(r.initialLoss)} → ${sig(r.finalLoss)}.`,
      '',
      '| mean PSNR (dB) | training crops | test crops |',
      '|---|---|---|',
      `| degraded input | ${f(r.train.degraded)} | ${f(r.test.degraded)} |`,
      `| initial θ₀ | ${f(r.train.initial)} | ${f(r.test.initial)} |`,
      `| learned θ | ${f(r.train.learned)} | ${f(r.test.learned)} |`,
      '',
      'Rows of the grids: clean crop, degraded input, reconstruction with θ₀, reconstruction with the learned θ (PSNR in the captions).',
      '',
      `![training crops](${RUN_FILES.trainGrid})`,
      '',
      `![test crops](${RUN_FILES.testGrid})`,
      '',
    );
  } else if (curve.length) {
    out.push(`Training loss ${sig(curve[0]!.loss)} → ${sig(last!.loss)} (no reconstructions yet: the run has not completed).`, '');
  }
  if (params) out.push(...paramsSection(params));
  if (existsSync(runFile(dir, 'filters'))) out.push(`![learned filters (each min–max scaled)](${RUN_FILES.filters})`, '');
  if (existsSync(`${dir}/${RUN_CHARTS.cost}.png`)) {
    out.push(
      '## Training curves',
      '',
      'Loss and PSNR (implied by the inexact loss, unclipped) against the work done — lower-level, adjoint and CG iterations, ' +
        'including rejected line-search trials — and against the wall time of the optimizer steps.',
      '',
      `![loss and PSNR against work](${RUN_CHARTS.cost}.png)`,
      '',
      `![loss and PSNR against time](${RUN_CHARTS.time}.png)`,
      '',
      `![accuracy, bound, gradient norm and step size](${RUN_CHARTS.accuracy}.png)`,
      '',
    );
  }
  if (status?.compute) out.push(...computeSection(status.compute));
  if (evalResult) out.push(...evalSection(evalResult));
  out.push(
    '## Files',
    '',
    `\`${RUN_FILES.config}\` (validated config), \`${RUN_FILES.params}\` (θ with names), \`${RUN_FILES.log}\` (one record per iteration), ` +
      `\`${RUN_FILES.checkpoint}\` (resume with \`bilevel train ${RUN_FILES.config} --out <this folder> --resume\`), \`${RUN_FILES.status}\`, ` +
      `PNG grids, charts as \`.svg\` and \`.png\`.`,
    '',
  );
  return out.join('\n');
}

/** Write `report.md` of a run directory (atomically). */
export function writeReport(dir: string): string {
  const path = runFile(dir, 'report');
  writeFileAtomic(path, buildReport(dir));
  return path;
}
