/**
 * The fused kernels of the PDHG engine: what a synchronous kernel provides to `Pdhg` and
 * `Piggyback`, how a problem description selects one from the kernel registry of
 * `@bilevel/core`, and the built-in WebAssembly Huber-TV kernels registered there.
 * @module
 */
import {
  GENERIC_KERNEL,
  KERNEL_BACKENDS,
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
  z,
} from '@bilevel/core';
import type { SaddleCertificateParts } from './certificate.js';
import { SeparableHuberKernel, type SeparableHuberParams } from './separable-huber-kernel.js';
import { HuberTvKernel, huberTvThreads, type HuberTvParams } from './wasm/huber-tv-kernel.js';

/**
 * A synchronous fused kernel of the PDHG engine: its own memory with the iterates, one call per
 * iteration, its certificates in a few sweeps. The iterates are views of the kernel's arrays,
 * which a kernel may exchange in a step (as the generic composition exchanges `x` and `xPrev`):
 * read them after each step. Work is charged to `cost` as the generic composition would count
 * it (one `apply`, one `adjoint` of `K` per use), so costs compare across kernels.
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
   * pair, in the kernel's own sweeps; charges `cost` as the generic certificates would. Absent:
   * the engine certifies the kernel's iterates with the generic certificates (in float64, from
   * `Kx`, `Kᵀy` and `KX` computed by the problem's operator, charged to `cost`).
   */
  certificate?(cost: Cost, gap: boolean): { readonly saddle: SaddleCertificateParts; readonly deltaX: number; readonly deltaY: number };
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

/**
 * A factory of fused kernels, as registered under {@link EngineAlgorithm}s: the kernel of a
 * matching description, with the live problem (whose operators a kernel may apply) and what the
 * solver asks of it (its threads).
 */
export type FusedKernelFactory = (description: SaddleDescription, problem: SaddleProblem, options?: FusedKernelOptions) => FusedSaddleKernel;

/**
 * Which kernels a solver may use: `auto` (a fused `wasm-f64` kernel when one matches; never a
 * float32 kernel), or one backend (`wasm-f64`, `gpujs-f32` require a matching registered kernel,
 * `js-f64` is the generic composition).
 */
export type KernelChoice = 'auto' | KernelBackend;

/**
 * The zod schema of a {@link KernelChoice}: `auto` or any backend of the kernel registry
 * (`KERNEL_BACKENDS` of `@bilevel/core`), for every option that passes the choice on to a solver.
 */
export const kernelChoiceSchema: z.ZodType<KernelChoice> = z.enum(['auto', ...KERNEL_BACKENDS]);

/** The backends `auto` tries, in order: exact (float64) fused kernels only. */
const AUTO_BACKENDS: readonly KernelBackend[] = ['wasm-f64'];

/**
 * `K = s·B` with the `scaled` wrappers of a description stripped: the product `s` of their
 * scales (finite, `> 0`) and the described base operator `B`, or `undefined`.
 */
export function describedScale(d: KindDescription): { readonly scale: number; readonly base: KindDescription } | undefined {
  let scale = 1;
  let base: KindDescription | undefined = d;
  for (let s = asKind(base, 'scaled'); s; s = asKind(base, 'scaled')) {
    scale *= s.scale;
    base = s.base;
  }
  return scale > 0 && Number.isFinite(scale) ? { scale, base } : undefined;
}

/** The operator scale and the grid of `K = s∇` (Neumann), or `undefined` for another operator. */
function scaledGradient(d: KindDescription): { scale: number; C: number; H: number; W: number } | undefined {
  const s = describedScale(d);
  const g = s && asKind(s.base, 'gradient-2d');
  if (!g || g.boundary !== 'neumann') return undefined;
  return { scale: s.scale, C: g.channels, H: g.height, W: g.width };
}

/**
 * `g = ½‖dx − b‖² + (μ/2)‖x‖²` on `n` entries with one constant `d` (identity or a constant
 * diagonal) as `λ = d² + μ`, `c = d·b` and `γ = ½‖b‖²` (`g(x) = (λ/2)‖x‖² − ⟨c, x⟩ + γ`), or
 * `undefined` for another primal term.
 */
export function describedQuadratic(d: KindDescription, n: number): Pick<HuberTvParams, 'lambda' | 'c' | 'constant'> | undefined {
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
 * `f*` a single-block Huber conjugate (or `L2InfBall`, `ε = 0`) on `size` entries: its radius
 * `α`, smoothing `ε`, group size and whether it is the Huber conjugate, or `undefined`.
 */
export function describedHuberConjugate(
  d: KindDescription,
  size: number,
): { readonly alpha: number; readonly epsilon: number; readonly groupSize: number; readonly huber: boolean } | undefined {
  const huber = asKind(d, 'huber-conjugate');
  const ball = asKind(d, 'l2-inf-ball');
  const groups = huber ?? ball;
  const alpha = huber ? huber.alpha : ball?.radius;
  if (!groups || !alpha || groups.size !== size || alpha.length !== 1) return undefined;
  return { alpha: alpha[0]!, epsilon: huber ? huber.epsilon[0]! : 0, groupSize: groups.groupSize, huber: huber !== undefined };
}

/** The squared-error loss `(c_ℓ/2)‖x − x†‖²` of a description on `n` entries as `c_ℓ` and `x†`, or `undefined`. */
export function describedSquaredError(d: SaddleDescription, n: number): { readonly scale: number; readonly target: Vec } | undefined {
  const loss = asKind(d.loss, 'squared-error');
  if (!loss || !d.target || d.target.length !== n) return undefined;
  return { scale: loss.reduction === 'mean' ? 1 / n : 1, target: d.target };
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
  const g = describedQuadratic(d.g, N);
  const f = describedHuberConjugate(d.fStar, 2 * N);
  if (!g || !f || (f.groupSize !== 1 && f.groupSize !== 2)) return undefined;
  const params = { ...K, ...g, alpha: f.alpha, epsilon: f.epsilon, isotropic: f.groupSize === 2 };
  if (!piggyback) return params;
  const loss = describedSquaredError(d, N);
  if (!f.huber || !loss) return undefined;
  return { ...params, loss };
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
  return (description, _problem, options = {}) => {
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

/** Output rows and columns of a filter bank on `H×W` images (`valid`: the positions where the whole window fits). */
function bankOutput(K: { readonly height: number; readonly width: number; readonly kernelSize: number; readonly boundary: string }): number {
  const shrink = K.boundary === 'valid' ? K.kernelSize - 1 : 0;
  return (K.height - shrink) * (K.width - shrink);
}

/**
 * The separable Huber problem a description states, or `undefined`: `K` a filter bank, `g` a
 * quadratic with a constant curvature, `f*` the Huber conjugate entry by entry (one `α`, one
 * `ε > 0`); with `piggyback` also a squared-error loss.
 */
export function filterBankHuberParams(d: SaddleDescription, piggyback: boolean): SeparableHuberParams | undefined {
  const K = asKind(d.K, 'filter-bank');
  if (!K) return undefined;
  const n = K.inChannels * K.height * K.width;
  const m = K.outChannels * bankOutput(K);
  const g = describedQuadratic(d.g, n);
  const huber = asKind(d.fStar, 'huber-conjugate');
  if (!g || !huber || huber.size !== m || huber.groupSize !== 1 || huber.alpha.length !== 1 || !(huber.epsilon[0]! > 0)) return undefined;
  const params = { n, m, ...g, alpha: huber.alpha[0]!, epsilon: huber.epsilon[0]! };
  if (!piggyback) return params;
  const loss = asKind(d.loss, 'squared-error');
  if (!loss || !d.target || d.target.length !== n) return undefined;
  return { ...params, loss: { scale: loss.reduction === 'mean' ? 1 / n : 1, target: d.target } };
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
  for (const algorithm of ['pdhg', 'piggyback'] as const) {
    const piggyback = algorithm === 'piggyback';
    const memo = new WeakMap<SaddleDescription, SeparableHuberParams | null>();
    const params = (d: SaddleDescription): SeparableHuberParams | undefined => {
      let p = memo.get(d);
      if (p === undefined) memo.set(d, (p = filterBankHuberParams(d, piggyback) ?? null));
      return p ?? undefined;
    };
    kernelRegistry.register<FusedKernelFactory>({
      name: 'filter-bank',
      algorithm,
      backend: 'wasm-f64',
      matches: (d) => SeparableHuberKernel.available() && params(d) !== undefined,
      create: (d, problem) => {
        const p = params(d);
        if (!p) throw new ValidationError('filter-bank kernel: the problem is not a filter bank with a separable Huber dual term');
        return new SeparableHuberKernel(problem.K, p, piggyback);
      },
    });
  }
}

/**
 * The fused kernel for `problem` (with the loss and target of a piggyback solve), or `null` for
 * the generic composition: `choice` `js-f64` never fuses; `wasm-f64` or `gpujs-f32` require a
 * registered kernel of that backend that matches (a `ValidationError` otherwise); `auto` fuses
 * when a registered `wasm-f64` kernel matches — it never picks a float32 kernel. The kernel is
 * created with `options` (its threads).
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
  const entry = kernelRegistry.find<FusedKernelFactory>(algorithm, description, choice === 'auto' ? AUTO_BACKENDS : [choice]);
  if (entry) return entry.create(description!, problem, options);
  if (choice !== 'auto') {
    const registered = kernelRegistry.list(algorithm).filter((k) => k.backend === choice);
    const need =
      choice === 'wasm-f64'
        ? 'WebAssembly SIMD needed'
        : 'register gpu.js kernels with `(await GpuJsBackend.create({ mode })).register()` of @bilevel/kernels';
    throw new ValidationError(
      `no ${choice} kernel runs this ${algorithm} problem (registered: ${registered.map((k) => k.name).join(', ') || 'none'}; ${need}); ` +
        'use backend auto or js-f64 for the generic composition',
    );
  }
  return null;
}

/** What a state reports about its kernel. */
export function kernelInfo(fused: FusedSaddleKernel | null): KernelInfo {
  return fused ? fused.info : GENERIC_KERNEL;
}
