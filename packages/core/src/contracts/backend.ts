/**
 * Compute backends for the saddle-point lower level: a declarative problem description that a
 * backend (e.g. the gpu.js backend of `@bilevel/kernels`) can compile, and the asynchronous
 * contract the piggyback estimator accepts through its `backend` option.
 * @module
 */
import type { Vec } from '../vec.js';
import type { SaddleModel } from './model.js';

/**
 * A bank of `count` centred `k×k` filters applied as correlations to a single-channel image
 * (the `ConvFilterBank` convention of `@bilevel/operators`), `kernels` row-major `[count][k][k]`.
 */
export interface SaddleFilterBank {
  /** Filter coefficients, `count·k²` entries. */
  readonly kernels: Float64Array;
  /** Filter size `k` (odd). */
  readonly kernelSize: number;
  /** Number of filters. */
  readonly count: number;
  /** Boundary rule: zero padding or periodic wrap. */
  readonly boundary: 'zero' | 'periodic';
}

/**
 * The declarative saddle problem `min_x max_y ⟨Kx, y⟩ + ½‖x − b‖² − f*(y)` with `K` the 2-D
 * forward-difference gradient (Neumann) or a filter bank, and `f*(y) = ε/(2α)‖y‖² + ι{‖y_j‖ ≤ α}`
 * (isotropic: per pixel over the dual channels; anisotropic: per entry).
 */
export interface SaddleSpec {
  /** Rows `H`. */
  readonly height: number;
  /** Columns `W`. */
  readonly width: number;
  /** The operator `K`. */
  readonly operator: { readonly kind: 'gradient' } | ({ readonly kind: 'filters' } & SaddleFilterBank);
  /** Radius `α > 0` of the dual constraint. */
  readonly alpha: number;
  /** Huber smoothing `ε ≥ 0`. */
  readonly epsilon: number;
  /** Couple the dual channels of a pixel. */
  readonly isotropic: boolean;
  /** The data `b` (`H·W` entries). */
  readonly data: Vec;
  /** The target `x†` of the loss `½‖x − x†‖²` (needed for the piggyback recursion). */
  readonly target?: Vec;
}

/** PDHG + piggyback iterates of a backend run; `xPrev`, `XPrev` carry the over-relaxation. */
export interface SaddleBackendState {
  /** Primal iterate. */
  readonly x: Vec;
  /** Dual iterate. */
  readonly y: Vec;
  /** Primal adjoint. */
  readonly X: Vec;
  /** Dual adjoint. */
  readonly Y: Vec;
  /** Previous primal iterate. */
  readonly xPrev: Vec;
  /** Previous primal adjoint. */
  readonly XPrev: Vec;
}

/**
 * A backend that runs PDHG (+ piggyback) on a {@link SaddleSpec} with given constant steps,
 * keeping its state on the device between iterations and returning float64 copies.
 */
export interface SaddleBackend {
  /** The mode that actually ran (`reference`, `cpu`, `webasm`, `webgpu`, …). */
  readonly mode: string;
  /** Arithmetic precision of the backend. */
  readonly precision: 'float32' | 'float64';
  /** Run `iterations` steps from `warm` (exact continuation when `warm` is a previous result). */
  runSaddle(
    spec: SaddleSpec,
    steps: { readonly tau: number; readonly sigma: number; readonly theta: number; readonly normK?: number },
    options: { readonly iterations: number; readonly piggyback?: boolean; readonly warm?: Partial<SaddleBackendState> },
  ): Promise<SaddleBackendState>;
}

/** A saddle model whose samples a {@link SaddleBackend} can run (`undefined`: not expressible). */
export interface DeclarativeSaddleModel extends SaddleModel {
  /** The declarative form of sample `i` at the current θ. */
  saddleSpec(i: number): SaddleSpec | undefined;
}
