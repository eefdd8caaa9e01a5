/**
 * Training problems and reconstructions from the library packages: the experiment's model from
 * the registry of `@bilevel/models` (`./models.ts`) with a training set of per-sample data
 * operators, the hypergradient oracles of `@bilevel/hypergrad` (implicit: FISTA + CG; piggyback:
 * PDHG + adjoint PDHG), the solvers of `@bilevel/solvers` for single reconstructions, and the TV
 * baseline of `bilevel eval`.
 * @module
 */
import { NumericalError, ValidationError, anyOf, maxIterations, run, tolerance, type LinearOperator, type Vec } from '@bilevel/core';
import { forwardOperator, imageShape, type Image, type ImagePair } from '@bilevel/imaging';
import { models, tvGroupSize, type TrainingSet, saddleReconstruction, smoothReconstruction, type FilterBank, type ModelSpec } from '@bilevel/models';
import { Gradient2D } from '@bilevel/operators';
import { ParallelOracle, buildProblem, type ComputeOptions, type SampleProblem } from '@bilevel/parallel';
import { HuberConjugate, QuadraticFidelity } from '@bilevel/prox';
import { Fista, Pdhg, smoothTolerance } from '@bilevel/solvers';
import type { ComputeConfig, DegradationConfig, ExperimentConfig } from '../config/schema.js';
import { initialModelSpec, modelSpecOf, trainedForm } from './models.js';
import type { Reconstruction, ReconstructOptions, TrainingProblem } from './types.js';

/**
 * The training problem of an experiment over its training pairs: the model at θ₀, a training
 * set (every sample with the degradation's forward operator, ridge μ, cold start at its
 * measurement) and the oracle named by `config.hypergradient`, with the squared-error loss of the
 * configured reduction (restricted to the image for a lifted model) — as data
 * ({@link sampleProblemOf}), evaluated per sample on the engine of `config.compute` by the
 * `ParallelOracle` of `@bilevel/parallel` (identical results on every engine). Close
 * `problem.compute` when done.
 */
export function buildTrainingProblem(config: ExperimentConfig, pairs: readonly ImagePair[], options: { readonly log?: (line: string) => void } = {}): TrainingProblem {
  const first = pairs[0]!.clean;
  const { spec, set } = trainingSetOf(config, pairs);
  const model = set.model;
  const oracle = new ParallelOracle(sampleProblemOf(config, pairs, spec), computeOptions(config.compute), options.log ? { log: options.log } : {});
  return {
    oracle,
    compute: { engine: oracle.engine.name, stats: () => oracle.stats.totals(), close: () => oracle.close() },
    theta0: Float64Array.from(spec.theta),
    paramNames: model.paramNames(),
    projections: model.projections,
    pixelsPerSample: first.channels * first.height * first.width,
    reduction: config.hypergradient.loss,
    formula: `${dataFormula(config)} + ${model.formula}`,
  };
}

/** The `compute` section as options of the parallel oracle (a clear error for redis without a URL). */
function computeOptions(c: ComputeConfig): ComputeOptions {
  if (c.engine === 'redis' && !c.redis) {
    throw new ValidationError('compute.redis: the redis engine needs the server, e.g. "redis": "redis://127.0.0.1:6379" (or pass --redis redis://host:port)');
  }
  return { engine: c.engine, ...(c.workers !== undefined ? { workers: c.workers } : {}), ...(c.redis ? { redis: { url: c.redis } } : {}) };
}

/**
 * The training problem as data (`SampleProblem` of `@bilevel/parallel`): what every worker
 * rebuilds — the model JSON, the crops, each with its data operator (its own mask for
 * inpainting), ridge and oracle caps.
 */
export function sampleProblemOf(config: ExperimentConfig, pairs: readonly ImagePair[], spec: ModelSpec): SampleProblem {
  const h = config.hypergradient;
  return {
    model: spec,
    shape: imageShape(pairs[0]!.clean),
    samples: pairs.map((p) => ({ degraded: p.degraded.data, clean: p.clean.data, forward: p.operator })),
    ridge: config.model.ridge,
    reduction: h.loss,
    oracle:
      trainedForm(config) === 'smooth'
        ? { kind: 'implicit', maxIterations: h.maxIterations, maxCgIterations: h.kind === 'implicit' ? h.cgMaxIterations : 1000 }
        : { kind: 'piggyback', maxIterations: h.maxIterations },
  };
}

/**
 * The experiment's model at its default initialisation with a training set over `pairs`: every
 * sample with its data operator, ridge μ, cold start at its measurement — the training set the
 * compute engines rebuild from {@link sampleProblemOf}, built the same way here.
 */
export function trainingSetOf(config: ExperimentConfig, pairs: readonly ImagePair[]): { spec: ModelSpec; set: TrainingSet } {
  const spec = initialModelSpec(config, imageShape(pairs[0]!.clean));
  return { spec, set: buildProblem(sampleProblemOf(config, pairs, spec)).set };
}

/** The data term of the experiment as a formula. */
function dataFormula(config: ExperimentConfig): string {
  const kind = config.data.degradation.kind;
  const fit = kind === 'noise' ? '½‖x − y‖²' : kind === 'blur' ? '½‖Ax − y‖² (A: Gaussian blur)' : '½‖Mx − y‖² (M: random pixel mask per image)';
  const ridge = config.model.ridge;
  return ridge > 0 ? `${fit} + ${ridge / 2}‖x‖²` : fit;
}

function toImage(like: Image, data: Vec): Image {
  return { channels: like.channels, height: like.height, width: like.width, data: Float64Array.from(data) };
}

/**
 * Reconstruct one degraded image with the experiment's model at θ (its data term: `forward`, by
 * default the degradation's forward operator, and the ridge): see {@link reconstructModel}.
 */
export function reconstruct(
  config: ExperimentConfig,
  theta: ArrayLike<number>,
  degraded: Image,
  options: ReconstructOptions,
  forward: LinearOperator | undefined = forwardOperator(config.data.degradation, imageShape(degraded)),
): Reconstruction {
  return reconstructModel(modelSpecOf(config, theta), { ...(forward ? { forward } : {}), ridge: config.model.ridge }, degraded, options);
}

/**
 * Reconstruct one degraded image with a model given as data, in the form it trains in: PDHG on
 * the saddle form when θ is the operator's (stopping at the Lemma 2 distance `≤ ε`, arXiv
 * 2412.06436), FISTA on the smooth form otherwise (stopping at `‖∇h‖/μ ≤ ε`, or at `‖∇h‖ ≤ ε` when
 * no strong convexity is certified: `smoothTolerance`), at most `maxIterations` iterations; the
 * data term `½‖Ax − y‖² + (μ/2)‖x‖²`.
 */
export function reconstructModel(
  spec: ModelSpec,
  data: { readonly forward?: LinearOperator; readonly ridge?: number },
  degraded: Image,
  options: ReconstructOptions,
): Reconstruction {
  const model = models.build(spec, imageShape(degraded));
  const d = { degraded: degraded.data, ...(data.forward ? { forward: data.forward } : {}), ...(data.ridge ? { ridge: data.ridge } : {}) };
  if (!model.saddle?.trainable && model.smooth) {
    const { problem, x0 } = smoothReconstruction(model, d);
    const fista = new Fista();
    const state = fista.init(problem, { x: x0 });
    const r = run(fista, state, { stop: anyOf(smoothTolerance(problem.h, options.epsilon), maxIterations(options.maxIterations)), certificateEvery: 5 });
    if (r.reason === 'diverged' || r.reason === 'breakdown') throw new NumericalError(`reconstruction stopped with '${r.reason}'`);
    return { image: toImage(degraded, state.x), iterations: r.iterations, distance: r.certificate.distance, gradientNorm: r.certificate.gradientNorm };
  }
  const { problem, x0, image } = saddleReconstruction(model, d);
  const pdhg = new Pdhg({ gap: false });
  const state = pdhg.init(problem, { x: x0 });
  const r = run(pdhg, state, { stop: anyOf(tolerance(options.epsilon), maxIterations(options.maxIterations)), certificateEvery: 10 });
  if (r.reason === 'diverged') throw new NumericalError('reconstruction diverged (NaN/Inf in the PDHG iterates)');
  return { image: toImage(degraded, image(state.x)), iterations: r.iterations, distance: r.certificate.distance };
}

/** Huber smoothing of the TV baseline (small: the baseline is TV in all but name). */
export const TV_BASELINE_HUBER = 1e-3;

/** Smoothing ν of the smoothed-TV baseline of deblurring. */
const TV_BASELINE_NU = 0.01;

/** Options of the registry's `smooth-tv` as the baseline of deblurring uses it. */
const TV_BASELINE_OPTIONS = { mode: 'anisotropic', boundary: 'neumann' } as const;

/** What the TV baseline of `bilevel eval` is, for reports. */
export function tvDescription(config: ExperimentConfig): string {
  if (config.data.degradation.kind === 'noise') return `isotropic TV denoising ½‖x − y‖² + α Σ Huber_ε(|∇x|), ε = ${TV_BASELINE_HUBER} (fused PDHG)`;
  const ridge = config.model.ridge > 0 ? config.model.ridge : 1e-3;
  return `anisotropic smoothed TV ${dataFormula({ ...config, model: { ...config.model, ridge } })} + α Σ √((∂x)² + ν²), ν = ${TV_BASELINE_NU} (FISTA)`;
}

/**
 * The TV baseline with weight α: for denoising, isotropic Huber-TV with a tiny smoothing
 * (≈ TV) by the fused PDHG kernel of `@bilevel/solvers`; for deblurring, the smoothed-TV model
 * with the experiment's blur (or a sample's `forward`, e.g. its mask) and a fixed small smoothing.
 * See {@link reconstructTvBaseline}.
 */
export function reconstructTv(config: ExperimentConfig, weight: number, degraded: Image, options: ReconstructOptions, forward?: LinearOperator): Reconstruction {
  return reconstructTvBaseline({ degradation: config.data.degradation, ridge: config.model.ridge }, weight, degraded, options, forward);
}

/** What the TV baseline needs to know of a model's data term. */
export interface TvBaselineSetting {
  /** The degradation (its forward operator is the data term's). */
  readonly degradation: DegradationConfig;
  /** `μ` of the model's data term (the smoothed-TV baseline uses 1e-3 when it is 0). */
  readonly ridge: number;
}

/**
 * The TV baseline with weight α for a degradation, on one image (`forward`: the sample's
 * forward operator, by default the degradation's): pure noise is denoised by
 * isotropic Huber-TV (`½‖x − y‖² + α Σ Huber_ε(|∇x|)`, ε = {@link TV_BASELINE_HUBER}) with the
 * fused PDHG kernel — on colour images vectorial (channel-coupled) Huber-TV, `|∇x|` the norm over
 * both directions and all channels of a pixel (generic PDHG); any other forward operator `A` (blur) by anisotropic smoothed TV
 * `½‖Ax − y‖² + (μ/2)‖x‖² + α Σ √((∂x)² + ν²)`, ν = 0.01, the registry's `smooth-tv` (FISTA).
 */
export function reconstructTvBaseline(
  setting: TvBaselineSetting,
  weight: number,
  degraded: Image,
  options: ReconstructOptions,
  forward: LinearOperator | undefined = forwardOperator(setting.degradation, imageShape(degraded)),
): Reconstruction {
  if (!forward) {
    // Gradient2D, the isotropic Huber conjugate and ½‖x − y‖²: PDHG runs the fused WebAssembly kernel.
    const K = new Gradient2D({ channels: degraded.channels, height: degraded.height, width: degraded.width });
    // colour: vectorial TV (one group per pixel over the directions and channels), gray: isotropic
    const groupSize = tvGroupSize(degraded.channels > 1 ? 'vectorial' : 'isotropic', degraded.channels);
    const fStar = new HuberConjugate({ shape: K.range, groupSize, alpha: weight, epsilon: TV_BASELINE_HUBER });
    const g = new QuadraticFidelity({ shape: K.domain, data: degraded.data });
    const problem = { K, g, fStar, f: fStar.conjugate(), gStar: g.conjugate() };
    const solver = new Pdhg();
    const state = solver.init(problem, { x: degraded.data });
    const r = run(solver, state, { stop: anyOf(tolerance(options.epsilon), maxIterations(options.maxIterations)), certificateEvery: 10 });
    if (r.reason === 'diverged') throw new NumericalError('TV reconstruction diverged');
    return { image: toImage(degraded, state.x), iterations: r.iterations, distance: r.certificate.distance };
  }
  const spec: ModelSpec = { kind: 'smooth-tv', options: TV_BASELINE_OPTIONS, theta: [Math.log(2 * weight), Math.log(TV_BASELINE_NU)] };
  return reconstructModel(spec, { forward, ridge: setting.ridge > 0 ? setting.ridge : 1e-3 }, degraded, options);
}

/** Quantities derived from θ for `params.json` and the report (e.g. `weight = e^θ₀`). */
export function derivedParams(config: ExperimentConfig, theta: ArrayLike<number>): Record<string, number> {
  return models.report(modelSpecOf(config, theta));
}

/** The learned filters of a filter model (undefined for models without filters). */
export function filterBank(config: ExperimentConfig, theta: ArrayLike<number>): FilterBank | undefined {
  return models.filters(modelSpecOf(config, theta));
}
