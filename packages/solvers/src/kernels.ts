/**
 * The fused kernels of the PDHG engine: what a synchronous kernel provides to `Pdhg` and
 * `Piggyback`, how a problem description selects one from the kernel registry of
 * `@bilevel/core`, and the built-in WebAssembly Huber-TV kernels registered there.
 * @module
 */
import {
  GENERIC_KERNEL,
  ValidationError,
  asKind,
  describeSaddle,
  kernelRegistry,
  type Cost,
  type KernelBackend,
  type KernelInfo,
  type KindDescription,
  type Loss,
  type SaddleDescription,
  type SaddleProblem,
  type Vec,
} from '@bilevel/core';
import type { SaddleCertificateParts } from './certificate.js';
import { HuberTvKernel, huberTvThreads, type HuberTvParams } from './wasm/huber-tv-kernel.js';

/**
 * A synchronous fused kernel of the PDHG engine: its own memory with the iterates (stable views),
 * one call per iteration, its certificates in a few sweeps. Work is charged to `cost` as the
 * generic composition would count it (one `apply`, one `adjoint` of `K` per use), so costs
 * compare across kernels.
 */
export interface FusedSaddleKernel {
  /** Which kernel this is. */
  readonly info: KernelInfo;
  /** Threads the iterations and certificates run on (1 unless the kernel splits the work, see {@link FusedKernelOptions}). */
  readonly threads: number;
  /** `xⁿ` (a view of the kernel's memory). */
  readonly x: Vec;
  /** `xⁿ⁻¹`. */
  readonly xPrev: Vec;
  /** `yⁿ`. */
  readonly y: Vec;
  /** `Xⁿ` (piggyback kernels; empty otherwise). */
  readonly X: Vec;
  /** `Xⁿ⁻¹`. */
  readonly XPrev: Vec;
  /** `Yⁿ`. */
  readonly Y: Vec;
  /** One iteration (PDHG, or PDHG with its adjoint) with steps `τ, σ` and extrapolation `ϑ`; returns `Σ(xⁿ⁺¹ − xⁿ)²`. */
  step(tau: number, sigma: number, theta: number): number;
  /**
   * Lemma 2 at `(x, y)` (objectives only with `gap`) and, for piggyback kernels, Lemma 3 at the
   * pair; charges `cost` as the generic certificates would.
   */
  certificate(cost: Cost, gap: boolean): { readonly saddle: SaddleCertificateParts; readonly deltaX: number; readonly deltaY: number };
  /** Give the kernel's memory back for reuse (the views above must not be used afterwards). */
  release(): void;
}

/** The algorithms the engine runs: PDHG alone, or PDHG with the piggyback adjoint. */
export type EngineAlgorithm = 'pdhg' | 'piggyback';

/** The largest `threads` option of a solver. */
export const MAX_THREADS = 64;

/** What a solver asks of the fused kernel it creates. */
export interface FusedKernelOptions {
  /**
   * Threads a kernel may split one solve over (row bands on worker threads, results
   * bit-identical to one thread); a kernel may use fewer (small images, no worker threads) and
   * one that does not split ignores it. Default 1.
   */
  readonly threads?: number;
}

/** A factory of fused kernels, as registered under {@link EngineAlgorithm}s. */
export type FusedKernelFactory = (description: SaddleDescription, options?: FusedKernelOptions) => FusedSaddleKernel;

/** Which kernels a solver may use: `auto` (a fused `wasm-f64` kernel when one matches), or one backend. */
export type KernelChoice = 'auto' | Extract<KernelBackend, 'wasm-f64' | 'js-f64'>;

/** The operator scale and the grid of `K = s∇` (Neumann), or `undefined` for another operator. */
function scaledGradient(d: KindDescription): { scale: number; C: number; H: number; W: number } | undefined {
  let scale = 1;
  let k: KindDescription | undefined = d;
  for (let s = asKind(k, 'scaled'); s; s = asKind(k, 'scaled')) {
    scale *= s.scale;
    k = s.base;
  }
  const g = asKind(k, 'gradient-2d');
  if (!g || g.boundary !== 'neumann' || !(scale > 0) || !Number.isFinite(scale)) return undefined;
  return { scale, C: g.channels, H: g.height, W: g.width };
}

/** `g = ½‖dx − b‖² + (μ/2)‖x‖²` with one constant `d` (identity or a constant diagonal) as `λ, c, γ`. */
function constantQuadratic(d: KindDescription, n: number): Pick<HuberTvParams, 'lambda' | 'c' | 'constant'> | undefined {
  const q = asKind(d, 'quadratic-fidelity');
  if (!q || q.operator || q.data.length !== n) return undefined;
  const w = q.diagonal ? q.diagonal[0]! : 1;
  if (q.diagonal) for (let i = 1; i < n; i++) if (q.diagonal[i] !== w) return undefined;
  const lambda = w * w + q.mu;
  if (!(lambda > 0)) return undefined;
  let half = 0;
  for (let i = 0; i < n; i++) half += q.data[i]! * q.data[i]!;
  return { lambda, c: w === 1 ? q.data : q.data.map((b) => w * b), constant: 0.5 * half };
}

/**
 * The Huber-TV problem a description states, or `undefined`: `K = s∇` (Neumann), `g` a quadratic
 * with a constant curvature, `f*` a single-block Huber conjugate (or `L2InfBall`, `ε = 0`) grouped
 * per pixel and channel or per entry; with `piggyback` also a squared-error loss (Huber
 * conjugate only: Lemma 3 needs `μ_f* > 0`).
 */
export function huberTvParams(d: SaddleDescription, piggyback: boolean): HuberTvParams | undefined {
  const K = scaledGradient(d.K);
  if (!K) return undefined;
  const N = K.C * K.H * K.W;
  const g = constantQuadratic(d.g, N);
  if (!g) return undefined;
  const huber = asKind(d.fStar, 'huber-conjugate');
  const ball = asKind(d.fStar, 'l2-inf-ball');
  const groups = huber ?? ball;
  if (!groups || groups.size !== 2 * N || (groups.groupSize !== 1 && groups.groupSize !== 2)) return undefined;
  const alpha = huber ? huber.alpha : ball!.radius;
  if (alpha.length !== 1) return undefined;
  const params = { ...K, ...g, scale: K.scale, alpha: alpha[0]!, epsilon: huber ? huber.epsilon[0]! : 0, isotropic: groups.groupSize === 2 };
  if (!piggyback) return params;
  const loss = asKind(d.loss, 'squared-error');
  if (!huber || !loss || !d.target || d.target.length !== N) return undefined;
  return { ...params, loss: { scale: loss.reduction === 'mean' ? 1 / N : 1, target: d.target } };
}

/** {@link huberTvParams} remembered per description (the registry's `matches` and `create` both ask). */
function memoHuberTvParams(piggyback: boolean): (d: SaddleDescription) => HuberTvParams | undefined {
  const memo = new WeakMap<SaddleDescription, HuberTvParams | null>();
  return (d) => {
    let p = memo.get(d);
    if (p === undefined) memo.set(d, (p = huberTvParams(d, piggyback) ?? null));
    return p ?? undefined;
  };
}

/** The fused Huber-TV kernel of `algorithm` on a matching description. */
function huberTvKernel(algorithm: EngineAlgorithm, params: (d: SaddleDescription) => HuberTvParams | undefined): FusedKernelFactory {
  return (description, options = {}) => {
    const adjoint = algorithm === 'piggyback';
    const p = params(description);
    if (!p) throw new ValidationError('huber-tv kernel: the problem is not a Huber-TV problem');
    const k = new HuberTvKernel(p, adjoint, huberTvThreads(options.threads ?? 1, p.C, p.H, p.W));
    const N = p.C * p.H * p.W;
    const kappa = p.epsilon / p.alpha;
    const smooth = p.epsilon > 0;
    return {
      info: { name: 'huber-tv', backend: 'wasm-f64' },
      threads: k.threads,
      x: k.x,
      xPrev: k.xPrev,
      y: k.y,
      X: k.X,
      XPrev: k.XPrev,
      Y: k.Y,
      step: (tau, sigma, theta) => k.step(tau, sigma, theta),
      release: () => k.release(),
      certificate(cost, gap) {
        const s = k.certificate();
        const band = (t: number): number => p.alpha * p.alpha * (1 + t) * (1 + t);
        const infeasible = s.maxNorm2 > band(1e-12);
        const outside = s.maxNorm2 > band(1e-10);
        // As the generic certificate: (6a) needs ∇f (ε > 0), (6b) ∇g* and the min-norm subgradient of f*.
        if (smooth) {
          cost.adjoint++;
          cost.gradient++;
        }
        cost.apply++;
        cost.gradient++;
        const saddle: SaddleCertificateParts = {
          primalStationarity: smooth ? Math.sqrt(s.rx2) : Infinity,
          dualStationarity: outside ? Infinity : Math.sqrt(s.ry2),
          primalObjective: gap ? s.gval + p.constant + p.alpha * s.reg : NaN,
          dualObjective: gap ? -(infeasible ? Infinity : 0.5 * kappa * s.yy) - (s.gstar - p.constant) : NaN,
          muG: p.lambda,
          muFStar: kappa,
          size: 3 * N,
        };
        if (!adjoint) return { saddle, deltaX: 0, deltaY: 0 };
        cost.apply++;
        cost.adjoint += 2;
        cost.gradient++;
        return { saddle, deltaX: Math.sqrt(s.eX2) / p.lambda, deltaY: Math.hypot(Math.sqrt(s.eY2) / kappa, Math.sqrt(s.outside)) };
      },
    };
  };
}

let registered = false;

/** Register the built-in WebAssembly kernels (once; they match only where WebAssembly SIMD runs). */
export function registerBuiltinKernels(): void {
  if (registered) return;
  registered = true;
  for (const algorithm of ['pdhg', 'piggyback'] as const) {
    const params = memoHuberTvParams(algorithm === 'piggyback');
    kernelRegistry.register<FusedKernelFactory>({
      name: 'huber-tv',
      algorithm,
      backend: 'wasm-f64',
      matches: (d) => HuberTvKernel.available() && params(d) !== undefined,
      create: huberTvKernel(algorithm, params),
    });
  }
}

/**
 * The fused kernel for `problem` (with the loss and target of a piggyback solve), or `null` for
 * the generic composition: `choice` `js-f64` never fuses, `wasm-f64` requires a match (a
 * `ValidationError` otherwise), `auto` fuses when a registered `wasm-f64` kernel matches; the
 * kernel is created with `options` (its threads).
 */
export function selectKernel(
  algorithm: EngineAlgorithm,
  problem: SaddleProblem & { readonly loss?: Loss; readonly target?: Vec },
  choice: KernelChoice,
  options: FusedKernelOptions = {},
): FusedSaddleKernel | null {
  if (choice === 'js-f64') return null;
  registerBuiltinKernels();
  const description = describeSaddle(problem);
  const entry = kernelRegistry.find<FusedKernelFactory>(algorithm, description, ['wasm-f64']);
  if (entry) return entry.create(description!, options);
  if (choice === 'wasm-f64') {
    throw new ValidationError(
      `no wasm-f64 kernel runs this ${algorithm} problem (registered: ${kernelRegistry.list(algorithm).map((k) => k.name).join(', ') || 'none'}; ` +
        'WebAssembly SIMD needed); use backend auto or js-f64 for the generic composition',
    );
  }
  return null;
}

/** What a state reports about its kernel. */
export function kernelInfo(fused: FusedSaddleKernel | null): KernelInfo {
  return fused ? fused.info : GENERIC_KERNEL;
}
