/**
 * What the app needs from the library packages, in one small interface: a training problem
 * (oracle, θ₀, parameter names, projections) and reconstructions at a given θ. Everything
 * outside `src/wiring/` depends only on these types, so the library APIs are wired in one place.
 * @module
 */
import type { HypergradientOracle } from '@bilevel/core';
import type { Image } from '@bilevel/imaging';
import type { ParallelTotals } from '@bilevel/parallel';

/** An in-place projection of θ applied by the optimizers after each update. */
export type ThetaProjection = (theta: Float64Array) => void;

/** The learnable lower-level model of an experiment over its training pairs. */
export interface TrainingProblem {
  /** The hypergradient oracle (loss, hypergradient, error bound, cost) over the training pairs. */
  readonly oracle: HypergradientOracle;
  /** Where the oracle's per-sample solves run: engine, cumulative statistics, and its release. */
  readonly compute: ComputeHandle;
  /** Initial parameters θ₀ (fresh array). */
  readonly theta0: Float64Array;
  /** One name per entry of θ. */
  readonly paramNames: readonly string[];
  /** Projections applied after every update (e.g. zero-mean filters). */
  readonly projections: readonly ThetaProjection[];
  /** Number of pixels of one training crop (to turn the loss into a PSNR). */
  readonly pixelsPerSample: number;
  /** `'sum'` (½‖x − x†‖²) or `'mean'` (½‖x − x†‖²/n) loss reduction. */
  readonly reduction: 'sum' | 'mean';
  /** One-line description of the lower level, e.g. `½‖x − y‖² + ½e^θ₀ Σ √((∂x)² + e^{2θ₁})`. */
  readonly formula: string;
}

/** The engine of a training problem's per-sample solves. */
export interface ComputeHandle {
  /** `inline`, `threads` or `redis`. */
  readonly engine: string;
  /** Cumulative time, bytes and per-worker use of the oracle calls so far. */
  stats(): ParallelTotals;
  /** Stop the engine's workers and connections (idempotent). */
  close(): void;
}

/** Options of a single reconstruction. */
export interface ReconstructOptions {
  /** Certified accuracy `‖x − x̂‖ ≤ ε` requested from the lower-level solver. */
  readonly epsilon: number;
  /** Iteration cap. */
  readonly maxIterations: number;
}

/** A reconstruction with its certificate. */
export interface Reconstruction {
  /** The reconstructed image (same size as the input). */
  readonly image: Image;
  /** Lower-level iterations used. */
  readonly iterations: number;
  /** Certified distance bound to the exact minimiser (`Infinity` when none). */
  readonly distance: number;
  /** Smooth form: the stationarity `‖∇h(x)‖` at the result (what a non-convex model is solved to). */
  readonly gradientNorm?: number;
}
