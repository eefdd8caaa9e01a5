/**
 * The backend contract: the hot primitives of the saddle-point lower level and a fused
 * PDHG + piggyback solve, every call asynchronous (gpu.js v3 makes every kernel call return a
 * Promise; WebGPU has no synchronous readback at all).
 * @module
 */
import { BilevelError, type SaddleBackendState, type Vec } from '@bilevel/core';
import type { SaddleFilterBank, Grid, SaddleSpec, SaddleSteps } from './spec.js';

/** The gpu.js modes a {@link ComputeBackend} can run in (`gpu.js` 2.24 names). */
export const GPUJS_MODES = ['cpu', 'webasm', 'webgpu', 'headlessgl', 'webgl2', 'webgl'] as const;

/** A gpu.js mode. `webgpu`, `headlessgl`, `webgl2` and `webgl` need a GPU. */
export type GpuJsMode = (typeof GPUJS_MODES)[number];

/** The mode a backend runs in: the float64 JavaScript reference or a gpu.js mode. */
export type BackendMode = 'reference' | GpuJsMode;

/** Arithmetic/storage precision of a backend. gpu.js stores every value as float32. */
export type BackendPrecision = 'float32' | 'float64';

/** Options of the Huber-conjugate prox and its Jacobian (see {@link ComputeBackend.proxHuberConj}). */
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

/** Options of {@link ComputeBackend.runSaddle}. */
export interface RunSaddleOptions {
  /** PDHG iterations to run in this call (≥ 1). */
  readonly iterations: number;
  /**
   * Run the piggyback recursion for `X`, `Y` alongside (default: whenever the spec has a
   * `target`; requires one). Without it `X, Y, XPrev` are returned as given (zero when cold).
   */
  readonly piggyback?: boolean;
  /**
   * Warm start (a previous {@link SaddleResult} works as is); missing entries start at zero,
   * `xPrev`/`XPrev` default to `x`/`X` (`x̄ = x`).
   */
  readonly warm?: Partial<SaddleState>;
}

/** What {@link ComputeBackend.runSaddle} returns: the final state (fresh arrays) and facts about the run. */
export interface SaddleResult extends SaddleState {
  /** Iterations run in this call. */
  readonly iterations: number;
  /** Whether the piggyback recursion ran. */
  readonly piggyback: boolean;
  /** The mode that actually executed the run. */
  readonly mode: BackendMode;
  /**
   * How the iterations executed: `reference-loops`, or gpu.js's pipeline executor
   * (`fused-threaded`, `fused-sync`, `fused-encoder`, `generic`).
   */
  readonly executor: string;
  /** `½‖x − x†‖²` (float64, on the host) when the spec has a target. */
  readonly loss?: number;
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

/**
 * A compute backend for the saddle-point lower level: the hot primitives and a fused
 * PDHG + piggyback solve, behind one asynchronous contract, so callers swap the float64
 * reference and a gpu.js backend through one option ({@link selectBackend}).
 *
 * Layouts are channel-first and row-major (`[C, H, W]`), all inputs and outputs `Float64Array`;
 * a gpu.js backend rounds inputs to float32, computes in float32 (`webasm`, GPUs; `cpu` computes
 * in float64 between float32 stores) and widens results. Methods write into `out` when given
 * (else into a fresh array) and never mutate their inputs; `out` must not alias an input.
 */
export interface ComputeBackend {
  /** The mode that actually ran the last computation (the chosen mode before any). */
  readonly mode: BackendMode;
  /** `float64` for the reference, `float32` for gpu.js. */
  readonly precision: BackendPrecision;
  /** Whether {@link ComputeBackend.dispose} has run. */
  readonly disposed: boolean;

  /** `out = Dx`, the forward-difference gradient (Neumann), `[2, H, W]`, x-differences first. */
  gradient(x: Vec, grid: Grid, out?: Vec): Promise<Vec>;
  /** `out = div p = −Dᵀp` of `p ∈ [2, H, W]` (Neumann: the last differences are dropped). */
  divergence(p: Vec, grid: Grid, out?: Vec): Promise<Vec>;
  /** `out = Kx` for a filter bank, `[count, H, W]`. */
  filterApply(x: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec>;
  /** `out = Kᵀy` for a filter bank, `[H, W]`. */
  filterAdjoint(y: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec>;
  /**
   * `out = ∇_k ⟨K_k x, y⟩`, the parameter correlation
   * `out[c,a,b] = Σ_{i,j} y[c,i,j] · x̃[i + a − r, j + b − r]` (`count·k²` entries).
   */
  filterParamGrad(x: Vec, y: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec>;
  /** `out = prox_{τg}(v) = (v + τb)/(1 + τ)` for `g = ½‖· − b‖²`. */
  proxQuadratic(v: Vec, b: Vec, tau: number, out?: Vec): Promise<Vec>;
  /** `out = D prox_{τg} · dv = dv/(1 + τ)`. */
  proxQuadraticJvp(dv: Vec, tau: number, out?: Vec): Promise<Vec>;
  /**
   * `out = prox_{σf*}(w)` for the Huber conjugate: `q = w/(1 + σε/α)`, then clip to `[−α, α]`
   * (anisotropic) or scale each pixel's channel vector by `min(1, α/‖q_p‖)` (isotropic).
   */
  proxHuberConj(w: Vec, options: HuberConjOptions, out?: Vec): Promise<Vec>;
  /**
   * `out = D prox_{σf*}(w) · dw`: `κ·dw` where inactive and `0` where clipped (anisotropic);
   * `κ(α/‖q‖)(dw − q⟨q, dw⟩/‖q‖²)` on active pixels (isotropic), `κ = 1/(1 + σε/α)`.
   */
  proxHuberConjJvp(w: Vec, dw: Vec, options: HuberConjOptions, out?: Vec): Promise<Vec>;
  /** `out = a·x + b·y`. */
  axpby(a: number, x: Vec, b: number, y: Vec, out?: Vec): Promise<Vec>;
  /** `⟨x, y⟩` by a tree reduction. */
  dot(x: Vec, y: Vec): Promise<number>;
  /** `‖x‖²` by a tree reduction. */
  sumOfSquares(x: Vec): Promise<number>;

  /**
   * Run `iterations` PDHG iterations (with the piggyback recursion, docs/math/piggyback.md#the-piggyback-recursion)
   * on the spec's problem, state resident on the device between iterations, reading back
   * once at the end. Chunked runs (`warm` = the previous result) reproduce an uninterrupted run.
   */
  runSaddle(spec: SaddleSpec, steps: SaddleSteps, options: RunSaddleOptions): Promise<SaddleResult>;
  /**
   * The hypergradient of the loss with respect to the operator's parameters from a piggyback
   * result, `∂_θ[⟨K_θX, y⟩ + ⟨K_θx, Y⟩]` (see {@link saddleHypergradient}), computed on the backend.
   */
  hypergradient(spec: SaddleSpec, state: SaddleState): Promise<Float64Array>;

  /** Live resources held (zeros after dispose). */
  resources(): BackendResources;
  /** Destroy every kernel, pipeline and the gpu.js instance; idempotent. */
  dispose(): Promise<void>;
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

/** The backend was used after {@link ComputeBackend.dispose}. */
export class DisposedError extends BilevelError {
  override readonly name: string = 'DisposedError';
}
