/**
 * Compute backends for the saddle-point lower level: the asynchronous contract the piggyback
 * estimator accepts through its `backend` option. A backend runs a problem given as its one
 * description (`SaddleDescription`: the registered kinds of `K`, `g`, `f*` and the loss), as the
 * kernel registry matches it (docs/architecture.md#kernels-and-backends).
 * @module
 */
import type { Vec } from '../vec.js';
import type { SaddleDescription } from './description.js';
import type { SaddleModel } from './model.js';

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
 * A backend that runs PDHG (+ piggyback, with the description's loss and target) on a described
 * problem with given constant steps, keeping its state on the device between iterations and
 * returning float64 copies (the gpu.js backend of `@bilevel/kernels`).
 */
export interface SaddleBackend {
  /** The mode that actually ran (`cpu`, `webasm`, `webgl2`, `webgpu`, …). */
  readonly mode: string;
  /** Arithmetic precision of the backend. */
  readonly precision: 'float32' | 'float64';
  /** Run `iterations` steps from `warm` (exact continuation when `warm` is a previous result). */
  runSaddle(
    problem: SaddleDescription,
    steps: { readonly tau: number; readonly sigma: number; readonly theta: number; readonly normK?: number },
    options: { readonly iterations: number; readonly piggyback?: boolean; readonly warm?: Partial<SaddleBackendState> },
  ): Promise<SaddleBackendState>;
}

/** A saddle model whose samples a {@link SaddleBackend} can run (`undefined`: not for backends). */
export interface DeclarativeSaddleModel extends SaddleModel {
  /**
   * The description of sample `i`'s problem at the current θ, with the loss `½‖x − x†‖²`
   * (`squared-error`, sum) and its target.
   */
  saddleSpec(i: number): SaddleDescription | undefined;
}
