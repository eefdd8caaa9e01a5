/**
 * Training curves as pictures: Vega-Lite specs compiled with `vega-lite`, rendered headless to
 * SVG with vega's `View(...).toSVG()`, then rasterised to PNG with `@resvg/resvg-js`.
 * @module
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** One row of the training log used by the plots. */
export interface CurvePoint {
  /** Upper-level iteration (1-based: after the step). */
  readonly iteration: number;
  /** Inexact training loss. */
  readonly loss: number;
  /** Training PSNR implied by the loss (dB). */
  readonly psnr: number;
  /** Cumulative lower-level + adjoint + CG iterations. */
  readonly cost: number;
  /** Cumulative wall time of the optimizer steps (seconds). */
  readonly seconds: number;
  /** Hypergradient error bound. */
  readonly bound: number;
  /** Norm of the inexact hypergradient. */
  readonly gradNorm: number;
  /** Lower-level tolerance of the step. */
  readonly epsilon: number;
  /** Step size of the step. */
  readonly stepSize: number;
  /** Mean test PSNR (dB) at θ after the step, on the iterations tracked by `eval.testEvery`. */
  readonly testPsnr?: number;
}

/** Render a Vega-Lite spec to SVG (headless, no browser). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const compiled = compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterise an SVG to PNG bytes (white background, 2× zoom for sharp text). */
export function svgToPng(svg: string, zoom = 2): Uint8Array {
  return new Resvg(svg, { fitTo: { mode: 'zoom', value: zoom }, background: 'white', font: { loadSystemFonts: true } }).render().asPng();
}

/** The files of a chart written by {@link writeChart} (names relative to its directory). */
export interface ChartFiles {
  /** The SVG file. */
  readonly svg: string;
  /** The PNG file. */
  readonly png: string;
}

/** Render a spec and write `<base>.svg` and `<base>.png` into `dir`; returns both file names. */
export async function writeChart(dir: string, base: string, spec: TopLevelSpec): Promise<ChartFiles> {
  const svg = await renderSvg(spec);
  writeFileSync(join(dir, `${base}.svg`), svg);
  writeFileSync(join(dir, `${base}.png`), svgToPng(svg));
  return { svg: `${base}.svg`, png: `${base}.png` };
}

const finiteRows = (rows: readonly CurvePoint[]) =>
  rows.filter((r) => Number.isFinite(r.loss) && r.loss > 0).map((r) => ({ ...r, psnr: Number.isFinite(r.psnr) ? r.psnr : null }));

/** The part every chart of a run shares: Vega-Lite v6, the title, the font, no frame around views. */
function chart(title: string, values: readonly object[]) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    config: { font: 'sans-serif', view: { stroke: null } },
    data: { values: [...values] },
  };
}

/**
 * Loss (log scale) and PSNR against an x field, as two stacked panels.
 * @param rows the log rows
 * @param x `cost` (lower-level + adjoint + CG iterations) or `seconds` (wall time)
 * @param title chart title
 */
export function curvesSpec(rows: readonly CurvePoint[], x: 'cost' | 'seconds', title: string): TopLevelSpec {
  const xTitle = x === 'cost' ? 'lower-level + adjoint + CG iterations' : 'wall time of the optimizer steps (s)';
  const values = finiteRows(rows);
  const losses = values.map((r) => r.loss);
  const spread = losses.length ? Math.max(...losses) / Math.min(...losses) : 1;
  const lossScale = spread > 10 ? { type: 'log' } : { zero: false };
  return {
    ...chart(title, values),
    vconcat: [
      {
        width: 480,
        height: 180,
        mark: { type: 'line', point: values.length <= 60 },
        encoding: {
          x: { field: x, type: 'quantitative', title: xTitle },
          y: { field: 'loss', type: 'quantitative', title: spread > 10 ? 'training loss (inexact, log scale)' : 'training loss (inexact)', scale: lossScale },
          tooltip: [{ field: 'iteration' }, { field: 'loss' }],
        },
      },
      {
        width: 480,
        height: 180,
        mark: { type: 'line', point: values.length <= 60, color: '#c44e52' },
        encoding: {
          x: { field: x, type: 'quantitative', title: xTitle },
          y: { field: 'psnr', type: 'quantitative', title: 'training PSNR (dB)', scale: { zero: false } },
        },
      },
    ],
  } as TopLevelSpec;
}

/**
 * Accuracies of the upper-level method per iteration (log scale): lower-level tolerance ε,
 * hypergradient bound ω, gradient norm ‖z‖ and step size α.
 */
export function accuracySpec(rows: readonly CurvePoint[], title: string): TopLevelSpec {
  const values = rows.flatMap((r) =>
    (
      [
        ['tolerance ε', r.epsilon],
        ['bound ω', r.bound],
        ['‖z‖', r.gradNorm],
        ['step α', r.stepSize],
      ] as const
    )
      .filter(([, v]) => Number.isFinite(v) && v > 0)
      .map(([series, value]) => ({ iteration: r.iteration, series, value })),
  );
  return {
    ...chart(title, values),
    width: 480,
    height: 220,
    mark: { type: 'line', point: rows.length <= 60 },
    encoding: {
      x: { field: 'iteration', type: 'quantitative', title: 'upper-level iteration' },
      y: { field: 'value', type: 'quantitative', title: 'value', scale: { type: 'log' } },
      color: { field: 'series', type: 'nominal', title: null },
    },
  } as TopLevelSpec;
}

/** Bars of test PSNR per method (noisy input, TV baseline, learned), for `bilevel eval`. */
export function psnrBarsSpec(values: readonly { method: string; psnr: number }[], title: string): TopLevelSpec {
  return {
    ...chart(title, values),
    width: 360,
    height: 160,
    layer: [
      {
        mark: 'bar',
        encoding: {
          y: { field: 'method', type: 'nominal', sort: null, title: null },
          x: { field: 'psnr', type: 'quantitative', title: 'mean test PSNR (dB)' },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3 },
        encoding: {
          y: { field: 'method', type: 'nominal', sort: null },
          x: { field: 'psnr', type: 'quantitative' },
          text: { field: 'psnr', type: 'quantitative', format: '.2f' },
        },
      },
    ],
  } as TopLevelSpec;
}
