/**
 * Training problems and reconstructions from the library packages: the lower-level models of
 * `./models.ts`, the hypergradient oracles of `@bilevel/hypergrad` (implicit: FISTA + CG;
 * piggyback: PDHG + adjoint PDHG), the solvers of `@bilevel/solvers` for single
 * reconstructions, and the TV baseline of `bilevel eval`.
 * @module
 */
import { NumericalError, type SaddleProblem } from '@bilevel/core';
import { ImplicitOracle, PiggybackOracle, squaredError } from '@bilevel/hypergrad';
import type { Image } from '@bilevel/imaging';
import { Fista, HuberTvPdhg, Pdhg, anyOf, maxIterations, run, tolerance } from '@bilevel/solvers';
import type { ExperimentConfig } from '../config/schema.js';
import type { ImagePair } from '../data.js';
import { buildModel, derivedParams as modelDerived, filterBankOf, tvModelConfig, type ModelSample } from './models.js';
import type { FilterBank, Reconstruction, ReconstructOptions, TrainingProblem } from './types.js';

/**
 * The training problem of an experiment over its training pairs: the model with θ₀, the oracle
 * named by `config.hypergradient`, and the squared-error loss with the configured reduction.
 */
export function buildTrainingProblem(config: ExperimentConfig, pairs: readonly ImagePair[]): TrainingProblem {
  const samples: ModelSample[] = pairs.map((p) => ({ degraded: p.degraded, clean: p.clean }));
  const built = buildModel(config, samples);
  const base = squaredError({ reduction: config.hypergradient.loss });
  const loss = built.wrapLoss ? built.wrapLoss(base) : base;
  const h = config.hypergradient;
  const oracle =
    built.form === 'smooth'
      ? new ImplicitOracle({ model: built.model, loss, maxIterations: h.maxIterations, maxCgIterations: h.kind === 'implicit' ? h.cgMaxIterations : 1000 })
      : new PiggybackOracle({ model: built.model, loss, maxIterations: h.maxIterations });
  const first = pairs[0]!.clean;
  return {
    oracle,
    theta0: Float64Array.from(built.theta0),
    paramNames: built.paramNames,
    projections: built.projections,
    pixelsPerSample: first.channels * first.height * first.width,
    reduction: config.hypergradient.loss,
    formula: built.formula,
  };
}

function toImage(like: Image, data: Float64Array): Image {
  return { channels: like.channels, height: like.height, width: like.width, data: Float64Array.from(data) };
}

/**
 * Reconstruct one degraded image with the experiment's model at θ: FISTA for smooth models
 * (stopping at the certificate `‖∇h‖/μ ≤ ε`), PDHG for saddle models (stopping at
 * `max(ε_x, ε_y) ≤ ε`, Lemma 2 of arXiv 2412.06436), at most `maxIterations` iterations.
 */
export function reconstruct(config: ExperimentConfig, theta: Float64Array, degraded: Image, options: ReconstructOptions): Reconstruction {
  const built = buildModel(config, [{ degraded, clean: degraded }]);
  built.model.setParams(theta);
  const stop = anyOf(tolerance(options.epsilon), maxIterations(options.maxIterations));
  if (built.form === 'smooth') {
    const s = built.model.sample(0);
    const fista = new Fista();
    const state = fista.init({ h: s.h }, { x: s.x0 ?? degraded.data });
    const r = run(fista, state, { stop, certificateEvery: 5 });
    if (r.reason === 'diverged' || r.reason === 'breakdown') throw new NumericalError(`reconstruction stopped with '${r.reason}'`);
    return { image: toImage(degraded, state.x), iterations: r.iterations, distance: r.certificate.distance };
  }
  const s = built.model.sample(0);
  const m = built.model;
  const problem: SaddleProblem = { K: m.K, g: s.g, fStar: m.fStar, ...(m.f ? { f: m.f } : {}), ...(s.gStar ? { gStar: s.gStar } : {}) };
  const pdhg = new Pdhg({ gap: false });
  const state = pdhg.init(problem, { x: s.x0 ?? degraded.data });
  const r = run(pdhg, state, { stop, certificateEvery: 10 });
  if (r.reason === 'diverged') throw new NumericalError('reconstruction diverged (NaN/Inf in the PDHG iterates)');
  // A lifted primal (ICNN: (x, z)) starts with the image.
  return { image: toImage(degraded, state.x.subarray(0, degraded.data.length)), iterations: r.iterations, distance: r.certificate.distance };
}

/** Huber smoothing of the TV baseline (small: the baseline is TV in all but name). */
export const TV_BASELINE_HUBER = 1e-3;

/** What the TV baseline of `bilevel eval` is, for reports. */
export function tvDescription(config: ExperimentConfig): string {
  return config.data.degradation.kind === 'noise'
    ? `isotropic TV denoising ½‖x − y‖² + α Σ Huber_ε(|∇x|), ε = ${TV_BASELINE_HUBER} (fused PDHG)`
    : `${tvModelConfig(config).description} (FISTA)`;
}

/**
 * The TV baseline with weight α: for denoising, isotropic Huber-TV with a tiny smoothing
 * (≈ TV) by the fused PDHG kernel of `@bilevel/solvers`; for deblurring, the smoothed-TV model
 * with the experiment's blur and a fixed small smoothing.
 */
export function reconstructTv(config: ExperimentConfig, weight: number, degraded: Image, options: ReconstructOptions): Reconstruction {
  if (config.data.degradation.kind === 'noise') {
    const solver = new HuberTvPdhg();
    const problem = { shape: [degraded.channels, degraded.height, degraded.width], b: degraded.data, alpha: weight, epsilon: TV_BASELINE_HUBER };
    const state = solver.init(problem, { x: degraded.data });
    const r = run(solver, state, { stop: anyOf(tolerance(options.epsilon), maxIterations(options.maxIterations)), certificateEvery: 10 });
    if (r.reason === 'diverged') throw new NumericalError('TV reconstruction diverged');
    return { image: toImage(degraded, state.x), iterations: r.iterations, distance: r.certificate.distance };
  }
  const tv = tvModelConfig(config);
  return reconstruct(tv.config, tv.theta(weight), degraded, options);
}

/** Quantities derived from θ for `params.json` and the report (e.g. `weight = e^θ₀`). */
export function derivedParams(config: ExperimentConfig, theta: Float64Array): Record<string, number> {
  return modelDerived(config, theta);
}

/** The learned filters of a filter model (undefined for TV models). */
export function filterBank(config: ExperimentConfig, theta: Float64Array): FilterBank | undefined {
  return filterBankOf(config, theta);
}
