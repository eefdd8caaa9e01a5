/**
 * The types, modes and errors of the gpu.js backend: its primitives' options, the `runSaddle`
 * run (the `SaddleBackend` contract of `@bilevel/core`) and its result.
 * @module
 */
import { BilevelError, type SaddleBackendState } from '@bilevel/core';

/** The gpu.js modes a backend can run in (`gpu.js` 2.24 names). */
export const GPUJS_MODES = ['cpu', 'webasm', 'webgpu', 'headlessgl', 'webgl2', 'webgl'] as const;

/** A gpu.js mode. `webgpu`, `headlessgl`, `webgl2` and `webgl` need a GPU. */
export type GpuJsMode = (typeof GPUJS_MODES)[number];

/** Options of the Huber-conjugate prox and its Jacobian (`GpuJsBackend.proxHuberConj`). */
export interface HuberConjOptions {
  /** Dual step `σ > 0` (the prox is `prox_{σf*}`). */
  readonly sigma: number;
  /** Radius `α > 0`. */
  readonly alpha: number;
  /** Smoothing `ε ≥ 0`. */
  readonly epsilon: number;
  /** Project each pixel's `channels` values onto the `α`-ball (else clip each value). */
  readonly isotropic: boolean;
  /** Channels `C` of the channel-first `[C, n]` input (the groups are its columns). */
  readonly channels: number;
}

/**
 * PDHG + piggyback state: primal `x`, dual `y`, their adjoints `X`, `Y` and the previous primal
 * iterates `xPrev`, `XPrev` that the over-relaxation `x̄ = x + θ(x − xPrev)` needs, so a run can
 * be resumed exactly (the `SaddleBackendState` contract of `@bilevel/core`).
 */
export type SaddleState = SaddleBackendState;

/** Constant PDHG steps of a `runSaddle` call: primal `τ`, dual `σ`, extrapolation `θ`. */
export interface SaddleSteps {
  /** Primal step `τ > 0`. */
  readonly tau: number;
  /** Dual step `σ > 0`. */
  readonly sigma: number;
  /** Extrapolation `θ ∈ [0, 1]`. */
  readonly theta: number;
  /** `‖K‖` (or a bound) the steps were chosen with: when given, `τσ‖K‖² ≤ 1` is checked. */
  readonly normK?: number;
}

/** Options of `GpuJsBackend.runSaddle`. */
export interface RunSaddleOptions {
  /** PDHG iterations to run in this call (≥ 1). */
  readonly iterations: number;
  /**
   * Run the piggyback recursion for `X`, `Y` alongside (default: whenever the description has
   * a loss and a target). Without it `X, Y, XPrev` are returned as given (zero when cold).
   */
  readonly piggyback?: boolean;
  /**
   * Warm start (a previous {@link SaddleResult} works as is); missing entries start at zero,
   * `xPrev`/`XPrev` default to `x`/`X` (`x̄ = x`).
   */
  readonly warm?: Partial<SaddleState>;
}

/** What `GpuJsBackend.runSaddle` returns: the final state (fresh arrays) and facts about the run. */
export interface SaddleResult extends SaddleState {
  /** Iterations run in this call. */
  readonly iterations: number;
  /** Whether the piggyback recursion ran. */
  readonly piggyback: boolean;
  /** The mode that actually executed the run. */
  readonly mode: GpuJsMode;
  /** gpu.js's pipeline executor (`fused-threaded`, `fused-sync`, `fused-encoder`, `generic`). */
  readonly executor: string;
}

/** Live resources a backend holds (for leak tests and diagnostics). */
export interface BackendResources {
  /** gpu.js `GPU` instances (0 or 1). */
  readonly gpus: number;
  /** Kernels registered with the instance (including pipeline-private clones). */
  readonly kernels: number;
  /** Compiled pipelines (fused iteration plans). */
  readonly pipelines: number;
}

/** A requested backend mode cannot run here (no GPU adapter, no headless-gl, …). */
export class BackendUnavailableError extends BilevelError {
  override readonly name: string = 'BackendUnavailableError';
}

/**
 * gpu.js ran in another mode than the one requested (its silent fallback, e.g. `gpu` → `webasm`
 * without a GL context, or a kernel degraded to `cpu`). Thrown unless `allowFallback: true`.
 */
export class SilentFallbackError extends BilevelError {
  override readonly name: string = 'SilentFallbackError';
}

/** The backend was used after `GpuJsBackend.dispose`. */
export class DisposedError extends BilevelError {
  override readonly name: string = 'DisposedError';
}
