/**
 * The fused PDHG (+ piggyback) kernel of the gpu.js backend, registered in the kernel registry of
 * `@bilevel/core` as backend `gpujs-f32` (docs/architecture.md#kernels-and-backends): `Pdhg` and
 * `Piggyback` of `@bilevel/solvers` drive it one iteration at a time (`step`), and
 * `GpuJsBackend.runSaddle` runs chunks of iterations as one compiled gpu.js pipeline with the
 * state resident on the device (`run`). Both execute {@link iterate} on the same kernels.
 * @module
 */
import type { KernelInfo } from '@bilevel/core';
import type { FusedSaddleKernel } from '@bilevel/solvers';
import type { IConstantsThis } from 'gpu.js';
import type { GpuJsMode, SaddleState } from '../backend.js';
import type { GpuJsSaddleParams } from './params.js';
import { flattenInto, input, type KernelShortcut, type PipelineShortcut } from './runtime.js';
import * as src from './sources.js';

/** Relative distance to the sphere `‖y_j‖ = α` within which a float32 dual group counts as active (≈ 8 float32 roundings). */
const ACTIVE_RTOL = 1e-6;

/** A kernel argument or result: a gpu.js handle in a pipeline under construction, else an array or a number. */
type Arg = unknown;

/** What a saddle kernel needs of its backend: compiled kernels, checked calls and cached pipelines. */
export interface SaddleDevice {
  /** The mode the backend's gpu.js instance runs in. */
  readonly mode: GpuJsMode;
  /** The kernel cached under `key`, compiled on first use. */
  kernel(key: string, source: string, output: number[], constants: Record<string, number>): KernelShortcut;
  /** Call a kernel synchronously and check the mode it ran in. */
  call(k: KernelShortcut, what: string, ...args: Arg[]): Arg;
  /** The pipeline cached under `key`, built from the orchestration function `fn` on a miss. */
  pipeline(key: string, fn: (...args: never[]) => unknown, constants: Record<string, number>): Promise<PipelineShortcut>;
  /** Run a pipeline and check the mode it ran in. */
  run(p: PipelineShortcut, what: string, ...args: Arg[]): Promise<Arg>;
}

/** The state of one iteration: dual stack `D = [y; Y]`, image stack `P = [x; X]` and its previous value `Q`. */
interface Stacks {
  readonly D: Arg;
  readonly P: Arg;
  readonly Q: Arg;
}

/** The kernels of one iteration (the filter coefficients `k` are ignored by the gradient's). */
interface IterationKernels {
  pre(D: Arg, P: Arg, Q: Arg, k: Arg, sigmaK: Arg, theta: Arg): Arg;
  prox(V: Arg, kappa: Arg, alpha: Arg): Arg;
  primal(P: Arg, Y: Arg, B: Arg, k: Arg, tau: Arg, tauK: Arg, lambda: Arg, lossScale: Arg): Arg;
}

/** The scalars of one iteration, in the order of {@link iterate}: `σs, θ, κ, α, τ, τs, λ, c_ℓ`. */
type Scalars = readonly [Arg, Arg, Arg, Arg, Arg, Arg, Arg, Arg];

/**
 * One iteration (dual-first; docs/math/piggyback.md#the-piggyback-recursion), `K = s·B`:
 * ```
 * w = y + σs·B x̄,   y⁺ = Π_α(κw)             u = Y + σs·B X̄,   Y⁺ = DΠ_α(κw)·κu     κ = 1/(1 + σε/α)
 * x⁺ = (x − τs·Bᵀy⁺ + τc)/(1 + τλ)           X⁺ = (X − τ(s·BᵀY⁺ + c_ℓ(x − x†)))/(1 + τλ)
 * ```
 * with `x̄ = x + θ(x − xPrev)` formed by the kernels: `D⁺ = prox(pre(D, P, Q))`,
 * `P⁺ = primal(P, D⁺)`, `Q⁺ = P`. Called with arrays (one step) or with the handles of a pipeline
 * under construction (a chunk of iterations).
 */
function iterate(k: IterationKernels, s: Stacks, B: Arg, filters: Arg, a: Scalars): Stacks {
  const [sigmaK, theta, kappa, alpha, tau, tauK, lambda, lossScale] = a;
  const D = k.prox(k.pre(s.D, s.P, s.Q, filters, sigmaK, theta), kappa, alpha);
  return { D, P: k.primal(s.P, D, B, filters, tau, tauK, lambda, lossScale), Q: s.P };
}

/**
 * The gpu.js PDHG (+ piggyback) kernel for one problem: float32 state on the device, float64
 * iterates `x, xPrev, y` (and `X, XPrev, Y`) on the host that the engine reads and writes. Every
 * `step` uploads the host iterates (so writes by the engine's warm start are seen), runs one
 * {@link iterate} and reads the result back; a float32 value round-trips through float64
 * exactly, so the host arrays lose nothing.
 */
export class GpuJsSaddleKernel {
  /** Which kernel this is (`gpujs-<mode>`, backend `gpujs-f32`). */
  readonly info: KernelInfo;
  /** The float64 iterates `xⁿ, xⁿ⁻¹, yⁿ` and the adjoint's `Xⁿ, Xⁿ⁻¹, Yⁿ` (empty without it). */
  readonly iterates: SaddleState;
  private readonly streams: number;
  private readonly n: number;
  private readonly m: number;
  private readonly D32: Float32Array;
  private readonly P32: Float32Array;
  private readonly Q32: Float32Array;
  private readonly inputs: { readonly D: Arg; readonly P: Arg; readonly Q: Arg; readonly B: Arg };
  private readonly filters: Float32Array;
  private readonly out: { readonly D: Float64Array; readonly P: Float64Array; readonly Q: Float64Array };
  private readonly sources: { readonly pre: KernelShortcut; readonly prox: KernelShortcut; readonly primal: KernelShortcut };
  private readonly shape: string;

  /**
   * @param device the backend's kernels, calls and pipelines
   * @param p the problem (see {@link GpuJsSaddleParams})
   * @param adjoint run the piggyback adjoint alongside (needs `p.loss`)
   */
  constructor(
    private readonly device: SaddleDevice,
    private readonly p: GpuJsSaddleParams,
    adjoint: boolean,
  ) {
    const { height: H, width: W, channels: C, planes: P } = p;
    const S = adjoint ? 2 : 1;
    this.streams = S;
    this.n = C * H * W;
    this.m = P * H * W;
    this.info = { name: `gpujs-${device.mode}`, backend: 'gpujs-f32' };
    const f64 = (len: number): Float64Array => new Float64Array(len);
    const [na, ma] = adjoint ? [this.n, this.m] : [0, 0];
    this.iterates = { x: f64(this.n), xPrev: f64(this.n), y: f64(this.m), X: f64(na), XPrev: f64(na), Y: f64(ma) };
    this.D32 = new Float32Array(S * this.m);
    this.P32 = new Float32Array(S * this.n);
    this.Q32 = new Float32Array(S * this.n);
    const B32 = new Float32Array(2 * this.n);
    B32.set(p.c);
    if (adjoint) B32.set(p.loss!.target, this.n);
    this.inputs = { D: input(this.D32, [W, H, S * P]), P: input(this.P32, [W, H, S * C]), Q: input(this.Q32, [W, H, S * C]), B: input(B32, [W, H, 2 * C]) };
    this.out = { D: f64(S * this.m), P: f64(S * this.n), Q: f64(S * this.n) };
    const op = p.operator;
    this.filters = op.kind === 'filters' ? Float32Array.from(op.kernels) : new Float32Array(1);
    const grid = `${W}x${H}|S${S}`;
    const G = p.groupSize;
    const prox = device.kernel(`saddleProx|${grid}|P${P}|G${G}`, src.proxSource(G > 1), [W, H, S * P], { W, H, P, G, R: P / G });
    if (op.kind === 'gradient') {
      this.shape = `gradient|C${C}`;
      this.sources = {
        pre: device.kernel(`saddleGradientPre|${grid}|C${C}`, src.gradientPreSource(), [W, H, S * P], { W, H, C }),
        prox,
        primal: device.kernel(`saddleGradientPrimal|${grid}|C${C}`, src.gradientPrimalSource(), [W, H, S * C], { W, H, C }),
      };
    } else {
      const fc = { W, H, P, ks: op.kernelSize, r: (op.kernelSize - 1) / 2 };
      this.shape = `filters|${P}|${op.kernelSize}|${op.boundary}`;
      this.sources = {
        pre: device.kernel(`saddleFiltersPre|${grid}|${this.shape}`, src.filtersPreSource(op.boundary), [W, H, S * P], fc),
        prox,
        primal: device.kernel(`saddleFiltersPrimal|${grid}|${this.shape}`, src.filtersPrimalSource(op.boundary), [W, H, S], fc),
      };
    }
  }

  /** The kernels of one iteration over `call` (a checked synchronous call, or a raw pipeline call). */
  private kernels(call: (k: KernelShortcut, ...args: Arg[]) => Arg): IterationKernels {
    const { pre, prox, primal } = this.sources;
    if (this.p.operator.kind === 'gradient') {
      return {
        pre: (D, P, Q, _k, sigmaK, theta) => call(pre, D, P, Q, sigmaK, theta),
        prox: (V, kappa, alpha) => call(prox, V, kappa, alpha),
        primal: (P, Y, B, _k, tau, tauK, lambda, lossScale) => call(primal, P, Y, B, tau, tauK, lambda, lossScale),
      };
    }
    return {
      pre: (D, P, Q, k, sigmaK, theta) => call(pre, D, P, Q, k, sigmaK, theta),
      prox: (V, kappa, alpha) => call(prox, V, kappa, alpha),
      primal: (P, Y, B, k, tau, tauK, lambda, lossScale) => call(primal, P, Y, B, k, tau, tauK, lambda, lossScale),
    };
  }

  /** The scalars of an iteration with steps `τ, σ` and extrapolation `θ`. */
  private scalars(tau: number, sigma: number, theta: number): Scalars {
    const { scale, alpha, epsilon, lambda, loss } = this.p;
    return [sigma * scale, theta, 1 / (1 + (sigma * epsilon) / alpha), alpha, tau, tau * scale, lambda, loss?.scale ?? 0];
  }

  /** Upload the host iterates into the float32 stacks. */
  private load(): void {
    const { n, m } = this;
    const { x, xPrev, y, X, XPrev, Y } = this.iterates;
    this.D32.set(y);
    this.P32.set(x);
    this.Q32.set(xPrev);
    if (this.streams === 2) {
      this.D32.set(Y, m);
      this.P32.set(X, n);
      this.Q32.set(XPrev, n);
    }
  }

  /** One iteration (see {@link iterate}) on the host iterates; returns `Σ(xⁿ⁺¹ − xⁿ)²`. */
  step(tau: number, sigma: number, theta: number): number {
    this.load();
    const call = (k: KernelShortcut, ...args: Arg[]): Arg => this.device.call(k, 'gpujs-f32 saddle step', ...args);
    const { D, P } = iterate(this.kernels(call), this.inputs, this.inputs.B, this.filters, this.scalars(tau, sigma, theta));
    flattenInto(D, this.out.D);
    flattenInto(P, this.out.P);
    const { n, m } = this;
    const { x, xPrev, y, X, XPrev, Y } = this.iterates;
    const xNew = this.out.P.subarray(0, n);
    let change = 0;
    for (let j = 0; j < n; j++) change += (xNew[j]! - x[j]!) ** 2;
    xPrev.set(x);
    x.set(xNew);
    y.set(this.out.D.subarray(0, m));
    this.snapActive();
    if (this.streams === 2) {
      XPrev.set(X);
      X.set(this.out.P.subarray(n));
      Y.set(this.out.D.subarray(m));
    }
    return change;
  }

  /**
   * `iterations` iterations with constant steps as one compiled pipeline (cached per problem
   * structure and iteration count), the state resident on the device: one upload, one readback.
   * Returns gpu.js's executor (`fused-threaded`, `fused-sync`, `fused-encoder`, `generic`).
   */
  async run(iterations: number, tau: number, sigma: number, theta: number): Promise<string> {
    this.load();
    const k = this.kernels((kernel, ...args) => kernel(...(args as never[])));
    const key = `saddle|${this.p.width}x${this.p.height}|${this.shape}|P${this.p.planes}|G${this.p.groupSize}|S${this.streams}|${iterations}`;
    const p = await this.device.pipeline(
      key,
      // gpu.js hands the function one handle per declared parameter (its `length`): no rest parameters
      function (
        this: { constants: IConstantsThis },
        D: Arg,
        P: Arg,
        Q: Arg,
        B: Arg,
        filters: Arg,
        sigmaK: Arg,
        theta: Arg,
        kappa: Arg,
        alpha: Arg,
        tau: Arg,
        tauK: Arg,
        lambda: Arg,
        lossScale: Arg,
      ) {
        const a: Scalars = [sigmaK, theta, kappa, alpha, tau, tauK, lambda, lossScale];
        let s: Stacks = { D, P, Q };
        for (let it = 0; it < Number(this.constants.iterations); it++) s = iterate(k, s, B, filters, a);
        return s;
      },
      { iterations },
    );
    const { D, P, Q, B } = this.inputs;
    const r = (await this.device.run(p, 'runSaddle', D, P, Q, B, this.filters, ...this.scalars(tau, sigma, theta))) as Stacks;
    flattenInto(r.D, this.out.D);
    flattenInto(r.P, this.out.P);
    flattenInto(r.Q, this.out.Q);
    const { n, m } = this;
    const { x, xPrev, y, X, XPrev, Y } = this.iterates;
    x.set(this.out.P.subarray(0, n));
    xPrev.set(this.out.Q.subarray(0, n));
    y.set(this.out.D.subarray(0, m));
    if (this.streams === 2) {
      X.set(this.out.P.subarray(n));
      XPrev.set(this.out.Q.subarray(n));
      Y.set(this.out.D.subarray(m));
    }
    return p.executorKind;
  }

  /**
   * The dual iterate's active set in float64 (after each engine step): every group with
   * `‖y_j‖ ≥ α(1 − 1e-6)` is scaled onto the sphere `‖y_j‖ = α`. The kernel projects in float32,
   * so an active group lands within a few roundings of the sphere, inside or outside; read as it
   * is, an outside group is infeasible (`f*(y) = ∞`) and an inside one loses its normal cone, and
   * either leaves the engine's dual certificate (6b) far from the float64 one. The move is below
   * the float32 resolution of `y`. `run` returns the device's state as it is, so chunks resume
   * bit for bit.
   */
  private snapActive(): void {
    const { m } = this;
    const { y } = this.iterates;
    const { alpha, groupSize: G } = this.p;
    const N = m / G;
    const near = (alpha * (1 - ACTIVE_RTOL)) ** 2;
    for (let j = 0; j < N; j++) {
      let s2 = 0;
      for (let t = j; t < m; t += N) s2 += y[t]! * y[t]!;
      if (s2 < near) continue;
      const c = alpha / Math.sqrt(s2);
      for (let t = j; t < m; t += N) y[t] = c * y[t]!;
    }
  }

  /**
   * The kernel for the engine of `@bilevel/solvers`: its iterates and `step`; no certificate
   * sweeps (the engine certifies the iterates), nothing to release (the compiled kernels and
   * pipelines belong to the backend) and one host thread (the device parallelises).
   */
  fused(): FusedSaddleKernel {
    return { info: this.info, threads: 1, ...this.iterates, step: (tau, sigma, theta) => this.step(tau, sigma, theta), release: () => undefined };
  }
}
