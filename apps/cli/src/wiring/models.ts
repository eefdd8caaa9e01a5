/**
 * The lower-level models of the experiments, built with the model builders of `@bilevel/prox`
 * (`smoothModel`, `saddleModel`, `foeSaddleModel`) from its regularizers and data terms:
 *
 * | config model | form | built from |
 * |---|---|---|
 * | `smooth-tv` | smooth | `SmoothedTV` (anisotropic, MAID) + `smoothedTvBoundConstants` |
 * | `foe`, potential `smooth` | smooth | `FieldsOfExperts` smooth form (no bound constants) |
 * | `huber-tv` | saddle | `saddleModel` with `K = e^θ∇` ({@link ExpScaledOperator}) and `HuberConjugate` |
 * | `foe`, potential `huber` | saddle | `foeSaddleModel`: learnable `ConvFilterBank`, Huber experts |
 *
 * Saddle models keep every learnable parameter in `K`, which the piggyback bound covers. Every
 * sample's cold start is its measurement `y` (the builders' default would be zero).
 * @module
 */
import {
  nrm2,
  type SaddleModel,
  type SmoothBoundConstants,
  type SmoothModel,
} from '@bilevel/core';
import type { Image } from '@bilevel/imaging';
import { Gradient2D } from '@bilevel/operators';
import { paramLayout, zeroMeanProjection } from '@bilevel/optimizers';
import {
  FieldsOfExperts,
  HuberConjugate,
  SmoothedTV,
  foeSaddleModel,
  icnnSaddleModel,
  saddleModel,
  smoothModel,
  smoothedTvBoundConstants,
  type IcnnRegularizer,
  type TrainingPair,
} from '@bilevel/prox';
import type { ExperimentConfig, ModelConfig } from '../config/schema.js';
import { forwardOperator, streamFor } from '../data.js';
import type { Loss } from '@bilevel/hypergrad';
import { ExpScaledOperator } from './exp-scaled.js';
import type { FilterBank, ThetaProjection } from './types.js';

/** One sample of a model: the measurement and the ground truth (the loss target). */
export interface ModelSample {
  /** The degraded measurement `y`. */
  readonly degraded: Image;
  /** The clean target `x†`. */
  readonly clean: Image;
}

/** What every built model has besides the model itself. */
export interface BuiltModelCommon {
  /** Initial θ (the model's parameters are set to it). */
  readonly theta0: Float64Array;
  /** Names of θ. */
  readonly paramNames: readonly string[];
  /** Projections after every update. */
  readonly projections: readonly ThetaProjection[];
  /** The lower-level problem as a formula. */
  readonly formula: string;
  /** Restrict the loss to the image when the primal variable is lifted (ICNN: `(x, z)`). */
  readonly wrapLoss?: (loss: Loss) => Loss;
}

/** A built model: smooth (implicit differentiation) or saddle (piggyback). */
export type BuiltModel = (
  | {
      /** Smooth form: FISTA + implicit differentiation. */
      readonly form: 'smooth';
      /** The model over the samples. */
      readonly model: SmoothModel;
    }
  | {
      /** Saddle form: PDHG + piggyback. */
      readonly form: 'saddle';
      /** The model over the samples. */
      readonly model: SaddleModel;
    }
) &
  BuiltModelCommon;

function shapeOf(img: Image): [number, number, number] {
  return [img.channels, img.height, img.width];
}

/** The training pairs in the builders' form. */
function pairsOf(samples: readonly ModelSample[]): TrainingPair[] {
  return samples.map((s) => ({ degraded: s.degraded.data, target: s.clean.data }));
}

/** The builders' data-term options: shape, pairs, forward operator, ridge `μ`. */
function dataOptions(config: ExperimentConfig, samples: readonly ModelSample[], ridge: number) {
  const y = samples[0]!.degraded;
  const forward = forwardOperator(config.data.degradation, shapeOf(y));
  return { shape: shapeOf(y), pairs: pairsOf(samples), ...(forward ? { forward } : {}), ...(ridge > 0 ? { mu: ridge } : {}) };
}

/** The same model whose samples start cold at their measurement `y` (`x0`). */
function startAtMeasurement<M extends SmoothModel | SaddleModel>(model: M, samples: readonly ModelSample[]): M {
  const base = model.sample.bind(model);
  const wrapped = Object.create(model) as M;
  Object.defineProperty(wrapped, 'sample', { value: (i: number) => ({ ...base(i), x0: samples[i]!.degraded.data }) });
  return wrapped;
}

function dataFormula(config: ExperimentConfig, ridge: number): string {
  const fit = config.data.degradation.kind === 'noise' ? '½‖x − y‖²' : '½‖Ax − y‖² (A: Gaussian blur)';
  return ridge > 0 ? `${fit} + ${ridge / 2}‖x‖²` : fit;
}

function buildSmoothTv(config: ExperimentConfig, m: Extract<ModelConfig, { kind: 'smooth-tv' }>, samples: readonly ModelSample[]): BuiltModel {
  const data = dataOptions(config, samples, m.ridge);
  const R = new SmoothedTV({ shape: data.shape, mode: 'anisotropic', weight: Math.exp(m.init.logWeight), nu: Math.exp(m.init.logSmoothing) });
  const model = smoothModel({ ...data, regularizer: R, boundConstants: smoothedTvBoundConstants(R) });
  return {
    form: 'smooth',
    model: startAtMeasurement(model, samples),
    theta0: Float64Array.from(R.params),
    paramNames: R.paramNames(),
    projections: [],
    formula: `${dataFormula(config, m.ridge)} + ½e^θ₀ Σ √((∂x)² + e^{2θ₁}) (anisotropic smoothed TV, MAID)`,
  };
}

/** Zero-mean projection of each filter (the ISGD code's `zero_mean()`), via the optimizers' helper. */
function zeroMean(thetaLength: number, offset: number, filters: number, per: number): ThetaProjection {
  const specs = [
    ...(offset > 0 ? [{ name: 'head', shape: offset }] : []),
    { name: 'kernels', shape: filters * per },
    ...(thetaLength > offset + filters * per ? [{ name: 'tail', shape: thetaLength - offset - filters * per }] : []),
  ];
  return zeroMeanProjection({ layout: paramLayout(specs), blocks: 'kernels' }, { groupSize: per });
}

/**
 * Initial FoE filters: zero-mean Xavier-normal (MAID `FoE.py`) from the experiment's init stream,
 * scaled by `filterScale`; with `derivativeWeight > 0` the first two filters are replaced by the
 * forward differences `w·(x[i,j+1] − x[i,j])` and `w·(x[i+1,j] − x[i,j])` (a TV-like start).
 */
function foeKernels(m: Extract<ModelConfig, { kind: 'foe' }>, seed: number): Float64Array {
  const k = m.filterSize;
  const per = k * k;
  const std = m.init.filterScale * Math.sqrt(2 / ((1 + m.filters) * per));
  const w = streamFor(seed, 'init').fillNormal(new Float64Array(m.filters * per), 0, std);
  for (let i = 0; i < m.filters; i++) {
    let mean = 0;
    for (let t = 0; t < per; t++) mean += w[i * per + t]!;
    mean /= per;
    for (let t = 0; t < per; t++) w[i * per + t] = w[i * per + t]! - mean;
  }
  const d = m.init.derivativeWeight;
  if (d > 0) {
    const r = (k - 1) / 2;
    const centre = r * k + r;
    for (let f = 0; f < Math.min(2, m.filters); f++) {
      w.fill(0, f * per, (f + 1) * per);
      w[f * per + centre] = -d;
      w[f * per + centre + (f === 0 ? 1 : k)] = d;
    }
  }
  return w;
}

function buildFoeSmooth(config: ExperimentConfig, m: Extract<ModelConfig, { kind: 'foe' }>, samples: readonly ModelSample[]): BuiltModel {
  const data = dataOptions(config, samples, m.ridge);
  const R = new FieldsOfExperts({
    shape: data.shape,
    filters: m.filters,
    kernelSize: m.filterSize,
    boundary: 'reflect',
    kernels: foeKernels(m, config.seed),
    weight: Math.exp(m.init.logWeight),
    filterWeights: Math.exp(m.init.logFilterWeight),
    smoothing: Math.exp(m.init.logSmoothing),
  });
  // No derived constants for the FoE bound: report it as unknown (Infinity) without the power
  // iteration the oracle would otherwise spend on ‖B‖. The stochastic optimizers do not use it.
  const unknown = (): SmoothBoundConstants => ({ normB: Infinity, lipB: Infinity, lipAInv: Infinity, certified: false });
  const model = smoothModel({ ...data, regularizer: R, boundConstants: unknown });
  const per = m.filterSize * m.filterSize;
  return {
    form: 'smooth',
    model: startAtMeasurement(model, samples),
    theta0: Float64Array.from(R.params),
    paramNames: R.paramNames(),
    projections: m.zeroMean ? [zeroMean(R.params.length, 1 + 2 * m.filters, m.filters, per)] : [],
    formula: `${dataFormula(config, m.ridge)} + ½e^θ₀ Σᵢ e^θᵢ Σₚ √((kᵢ ⋆ x)ₚ² + e^{2sᵢ}) (Fields of Experts, ${m.filters} filters ${m.filterSize}×${m.filterSize}, MAID)`,
  };
}

function buildHuberTv(config: ExperimentConfig, m: Extract<ModelConfig, { kind: 'huber-tv' }>, samples: readonly ModelSample[]): BuiltModel {
  const data = dataOptions(config, samples, m.ridge);
  const [C, H, W] = data.shape;
  const D = new Gradient2D({ channels: C, height: H, width: W });
  const K = new ExpScaledOperator(D, m.init.logWeight);
  const fStar = new HuberConjugate({ shape: D.range, groupSize: m.mode === 'isotropic' ? 2 : 1, alpha: 1, epsilon: m.huber });
  return {
    form: 'saddle',
    model: startAtMeasurement(saddleModel({ ...data, operator: K, fStar }), samples),
    theta0: Float64Array.of(m.init.logWeight),
    paramNames: K.paramNames(),
    projections: [],
    formula: `${dataFormula(config, m.ridge)} + Σ Huber_ε(e^θ₀ ∇x), ε = ${m.huber} (${m.mode} Huber-TV, saddle form K = e^θ₀∇)`,
  };
}

/**
 * The ICNN's TV-like start (in place on θ): filters 0–3 the forward differences ±w·∂ₓ, ±w·∂ᵧ
 * (`σ(t) + σ(−t) = (1 − a)|t|` for the leaky ReLU, up to its smoothing), hidden weight `c` on
 * their pooled features in every unit, the other filters and hidden weights scaled by `r`. With
 * `h(v) ≈ v` for `v > 0`: `R(x) ≈ M·c·(1 − a)·w/s²·Σ(|∂ₓx| + |∂ᵧx|)`, an anisotropic TV.
 */
function icnnTvStart(theta: Float64Array, R: IcnnRegularizer, init: { derivativeWeight: number; hiddenWeight: number; randomScale: number }): void {
  const { kernels, hidden } = R.layout;
  const k = R.kernelSize;
  const per = kernels.length / R.filters;
  const centre = ((k - 1) / 2) * (k + 1);
  const w = init.derivativeWeight;
  for (let t = kernels.offset + 4 * per; t < kernels.offset + kernels.length; t++) theta[t] = theta[t]! * init.randomScale;
  [
    [1, 1],
    [1, -1],
    [k, 1],
    [k, -1],
  ].forEach(([step, sign], f) => {
    const o = kernels.offset + f * per;
    theta.fill(0, o, o + per);
    theta[o + centre] = -sign! * w;
    theta[o + centre + step!] = sign! * w;
  });
  const cells = hidden.length / (R.units * R.filters);
  for (let u = 0; u < R.units; u++) {
    for (let f = 0; f < R.filters; f++) {
      const o = hidden.offset + (u * R.filters + f) * cells;
      for (let t = o; t < o + cells; t++) theta[t] = f < 4 ? init.hiddenWeight : theta[t]! * init.randomScale;
    }
  }
}

function buildIcnn(config: ExperimentConfig, m: Extract<ModelConfig, { kind: 'icnn' }>, samples: readonly ModelSample[]): BuiltModel {
  const data = dataOptions(config, samples, 0);
  const model = icnnSaddleModel({
    shape: data.shape,
    pairs: data.pairs,
    network: {
      filters: m.filters,
      kernelSize: m.filterSize,
      poolFactor: m.poolFactor,
      units: m.units,
      slope: m.slope,
      smoothing: m.smoothing,
      hiddenSmoothing: m.hiddenSmoothing,
      seed: config.seed,
    },
    zWeight: m.zWeight,
    epigraphSmoothing: m.epigraphSmoothing,
  });
  const theta0 = Float64Array.from(model.params);
  if (m.init.derivativeWeight > 0) {
    icnnTvStart(theta0, model.regularizer, m.init);
    model.setParams(theta0);
  }
  return {
    form: 'saddle',
    model,
    theta0,
    paramNames: model.paramNames(),
    projections: [model.project],
    wrapLoss: (loss) => model.imageLoss(loss) as Loss,
    formula:
      `${dataFormula(config, 0)} + R_θ(x), R_θ an ICNN (${m.filters} filters ${m.filterSize}×${m.filterSize}, leaky ReLU, avg-pool ${m.poolFactor}, ` +
      `${m.units} nonnegative units), saddle form by the epigraph lifting with γ = ${m.zWeight}, ε = ${m.epigraphSmoothing}`,
  };
}

function buildFoeSaddle(config: ExperimentConfig, m: Extract<ModelConfig, { kind: 'foe' }>, samples: readonly ModelSample[]): BuiltModel {
  const data = dataOptions(config, samples, m.ridge);
  const model = foeSaddleModel({
    ...data,
    filters: m.filters,
    kernelSize: m.filterSize,
    kernels: foeKernels(m, config.seed),
    epsilon: m.huber,
    boundary: 'reflect',
  });
  const per = m.filterSize * m.filterSize;
  return {
    form: 'saddle',
    model: startAtMeasurement(model, samples),
    theta0: Float64Array.from(model.params),
    paramNames: model.paramNames(),
    projections: m.zeroMean ? [zeroMean(model.params.length, 0, m.filters, per)] : [],
    formula: `${dataFormula(config, m.ridge)} + Σᵢ Σₚ Huber_ε((kᵢ ⋆ x)ₚ), ε = ${m.huber} (Fields of Experts, ${m.filters} learnable filters ${m.filterSize}×${m.filterSize}, saddle form K = filter bank)`,
  };
}

/**
 * Build the experiment's lower-level model over `samples` (all of the same size), with θ = θ₀.
 * Every sample's cold start is its measurement `y`.
 */
export function buildModel(config: ExperimentConfig, samples: readonly ModelSample[]): BuiltModel {
  const m = config.model;
  switch (m.kind) {
    case 'smooth-tv':
      return buildSmoothTv(config, m, samples);
    case 'huber-tv':
      return buildHuberTv(config, m, samples);
    case 'foe':
      return m.potential === 'smooth' ? buildFoeSmooth(config, m, samples) : buildFoeSaddle(config, m, samples);
    case 'icnn':
      return buildIcnn(config, m, samples);
  }
}

/** Quantities derived from θ for reports (weights and smoothings on their natural scale). */
export function derivedParams(config: ExperimentConfig, theta: Float64Array): Record<string, number> {
  const m = config.model;
  switch (m.kind) {
    case 'smooth-tv':
      return { 'weight ½e^θ₀': 0.5 * Math.exp(theta[0]!), 'smoothing ν = e^θ₁': Math.exp(theta[1]!) };
    case 'huber-tv':
      return { 'weight e^θ₀': Math.exp(theta[0]!), 'Huber threshold on ∂x: ε/e^θ₀': m.huber / Math.exp(theta[0]!) };
    case 'icnn': {
      let neg = 0;
      for (const t of theta) if (t < 0) neg++;
      return { 'parameters': theta.length, 'negative entries (W₀ only; W_A is projected ≥ 0)': neg };
    }
    case 'foe': {
      const bank = filterBankOf(config, theta)!;
      const norms = Array.from(bank.weights ?? []);
      const out: Record<string, number> = {
        'largest filter weight': Math.max(...norms),
        'median filter weight': [...norms].sort((a, b) => a - b)[Math.floor(norms.length / 2)]!,
      };
      if (m.potential === 'smooth') out['global weight ½e^θ₀'] = 0.5 * Math.exp(theta[0]!);
      return out;
    }
  }
}

/**
 * The learned filters of a FoE model with an effective weight each: `½e^{θ₀+θᵢ}‖kᵢ‖` (smooth
 * potential) or `‖kᵢ‖` (Huber potential, where the filter norm is the weight).
 */
export function filterBankOf(config: ExperimentConfig, theta: Float64Array): FilterBank | undefined {
  const m = config.model;
  if (m.kind !== 'foe') return undefined;
  const per = m.filterSize * m.filterSize;
  const offset = m.potential === 'smooth' ? 1 + 2 * m.filters : 0;
  const data = Float64Array.from(theta.subarray(offset, offset + m.filters * per));
  const weights = new Float64Array(m.filters);
  for (let i = 0; i < m.filters; i++) {
    const norm = nrm2(per, data.subarray(i * per, (i + 1) * per));
    weights[i] = m.potential === 'smooth' ? 0.5 * Math.exp(theta[0]! + theta[1 + i]!) * norm : norm;
  }
  return { count: m.filters, size: m.filterSize, data, weights };
}

/**
 * The TV baseline of a deblurring experiment as a smoothed-TV config: the experiment's data
 * (blur and noise) and ridge, smoothing ν = 0.01, and `theta(α)` = the θ with weight α
 * (`½e^{θ₀} = α`).
 */
export function tvModelConfig(config: ExperimentConfig): { config: ExperimentConfig; theta: (weight: number) => Float64Array; description: string } {
  const ridge = 'ridge' in config.model && config.model.ridge > 0 ? config.model.ridge : 1e-3;
  const nu = 0.01;
  const tv: ExperimentConfig = {
    ...config,
    model: { kind: 'smooth-tv', init: { logWeight: 0, logSmoothing: Math.log(nu) }, ridge },
    hypergradient: { kind: 'implicit', loss: config.hypergradient.loss, maxIterations: config.hypergradient.maxIterations, cgMaxIterations: 1000 },
  };
  return {
    config: tv,
    theta: (w) => Float64Array.of(Math.log(2 * w), Math.log(nu)),
    description: `anisotropic smoothed TV ${dataFormula(config, ridge)} + α Σ √((∂x)² + ν²), ν = ${nu}`,
  };
}
