/**
 * A fused PDHG kernel for Huber-TV denoising: gradient, dual prox, divergence, primal prox and
 * extrapolation in one sweep over the image, with the edges handled outside the inner loops.
 * @module
 */
import {
  ShapeError,
  ValidationError,
  assertFinite,
  nonNegative,
  parseOrThrow,
  positive,
  zeroCost,
  z,
  type Cost,
  type Shape,
  type Solver,
  type SolverState,
  type StopReason,
  type Vec,
} from '@bilevel/core';
import type { SaddleCertificate } from './certificate.js';
import { copyWarm, vecSchema } from './internal.js';
import { acceleratedTheta, pdhgStepOptionsSchema, pdhgSteps, type PdhgStepOptions, type PdhgSteps } from './steps.js';

/**
 * Huber-TV denoising `min_x (λ/2)‖x − b‖² + α Σ_{c,i,j} Huber_ε(‖(∇x)_{c,i,j}‖₂)` in saddle form:
 * `g(x) = (λ/2)‖x − b‖²` (μ_g = λ), `K = ∇` (2-D forward differences, Neumann, range
 * `[2, C, H, W]` with the x-differences (width axis) first, as `@bilevel/operators` `Gradient2D`),
 * `f*(y) = Σ (ε/(2α))‖y_{c,i,j}‖² + ι{‖y_{c,i,j}‖ ≤ α}` (isotropic per pixel and channel,
 * μ_f* = ε/α), with `Huber_ε(t) = t²/(2ε)` for `t ≤ ε`, `t − ε/2` otherwise.
 */
export interface HuberTvProblem {
  /** `[C, H, W]`. */
  readonly shape: Shape;
  /** Noisy data `b` (not mutated). */
  readonly b: Vec;
  /** Regularisation weight `α > 0` (the dual ball radius). */
  readonly alpha: number;
  /** Huber smoothing `ε ≥ 0` (`0` is TV: then no distance certificates). */
  readonly epsilon: number;
  /** Data weight `λ > 0` (default 1). */
  readonly lambda?: number;
}

const problemSchema = z.strictObject({
  shape: z.array(z.number().int().positive()).length(3),
  b: vecSchema,
  alpha: positive,
  epsilon: nonNegative,
  lambda: positive.optional(),
});

/** @internal zod schema of {@link HuberTvOptions}. */
export const huberTvOptionsSchema = pdhgStepOptionsSchema.omit({ preconditioning: true, muG: true, muFStar: true });

/** Options of {@link HuberTvPdhg}: the step-rule options of `pdhgSteps` (μ_g = λ and μ_f* = ε/α are known; no preconditioning). */
export type HuberTvOptions = Omit<PdhgStepOptions, 'preconditioning' | 'muG' | 'muFStar'>;

/** Derived data of {@link HuberTvPdhg} (not serialised). */
export interface HuberTvWork {
  /** The problem. */
  readonly problem: HuberTvProblem;
  /** Step rule (same as `pdhgSteps` with `‖∇‖` exact, μ_g = λ, μ_f* = ε/α). */
  readonly steps: PdhgSteps;
  /** Channels `C`. */
  readonly C: number;
  /** Height `H`. */
  readonly H: number;
  /** Width `W`. */
  readonly W: number;
  /** `N = C·H·W`. */
  readonly N: number;
  /** The x-difference half `y[0:N]` of the dual iterate (a view). */
  readonly y0: Vec;
  /** The y-difference half `y[N:2N]` of the dual iterate (a view). */
  readonly y1: Vec;
  /** Certificate buffers (allocated at the first certificate): the halves of `p = ∇f(∇x)` and `u = ∇g*(div y)`. */
  cert: HuberTvCertificateWork | null;
}

/** Certificate buffers of {@link HuberTvPdhg}. */
export interface HuberTvCertificateWork {
  /** x-difference half of `p = ∇f(∇x)`. */
  readonly p0: Vec;
  /** y-difference half of `p = ∇f(∇x)`. */
  readonly p1: Vec;
  /** `u = ∇g*(div y) = b + div y/λ`. */
  readonly u: Vec;
}

/** State of {@link HuberTvPdhg}: top-level arrays and scalars are serialisable. */
export interface HuberTvState extends SolverState {
  /** Primal iterate `xⁿ`. */
  readonly x: Vec;
  /** Extrapolated `x̄ⁿ = xⁿ + ϑ(xⁿ − xⁿ⁻¹)` (equal to `x` before the first step). */
  readonly xBar: Vec;
  /** Dual iterate `yⁿ` (`[2, C, H, W]`, x-differences first). */
  readonly y: Vec;
  /** Primal step `τ` of the next iteration. */
  tau: number;
  /** Dual step `σ` of the next iteration. */
  sigma: number;
  /** Extrapolation of the next `x̄` (accelerated: updated each step). */
  theta: number;
  /** `τ` of the last step (0 before the first). */
  tauLast: number;
  /** `‖xⁿ − xⁿ⁻¹‖²` of the last step. */
  primalChange: number;
  /** Iterations completed. */
  iteration: number;
  /** Work done (counted as the generic PDHG: one apply, one adjoint, two prox per step). */
  readonly cost: Cost;
  /** `'diverged'` on NaN/Inf. */
  halt: StopReason | null;
  /** Derived data. */
  readonly work: HuberTvWork;
}

/**
 * Certificate of {@link HuberTvPdhg}: the saddle certificate (eqs. 6a/6b and the gap, as
 * `saddleCertificate` with `f = α Huber_ε`, `g* (w) = ⟨w, b⟩ + ‖w‖²/(2λ)`) and the primal
 * residual `‖xⁿ⁻¹ − xⁿ‖/τ` (an element of `∂g(xⁿ) + Kᵀyⁿ`, see `PdhgCertificate`).
 */
export interface HuberTvCertificate extends SaddleCertificate {
  /** `‖xⁿ⁻¹ − xⁿ‖/τ_{n−1}` (`Infinity` before the first step). */
  readonly primalResidual: number;
}

/** Exact `‖∇‖` for Neumann forward differences: `√(4cos²(π/2W) + 4cos²(π/2H))` (as `Gradient2D.norm()`). */
export function gradientNorm(height: number, width: number): number {
  const lam = (n: number): number => {
    const c = Math.cos(Math.PI / (2 * n));
    return 4 * c * c;
  };
  return Math.sqrt(lam(width) + lam(height));
}

/**
 * Fused PDHG for Huber-TV denoising ({@link HuberTvProblem}): the same iteration and step rules
 * as the generic {@link Pdhg} (dual-first, piggyback-pdhg.md §2.1), specialised:
 * ```
 * y ← clip_α((y + σ∇x̄) / (1 + σε/α))                  (per pixel: min(c, α/‖w‖)·w, c = α/(α+σε))
 * x⁺ = (x + τ div y + τλ b) / (1 + τλ),   x̄ = x⁺ + ϑ(x⁺ − x)
 * ```
 * Two passes per step, each a plain loop over rows with the first/last row and column handled
 * outside the branch-free inner loops (unrolled by two): the dual pass (`sqrt` and the division
 * only for pixels whose dual ball is active) and the primal pass (divergence, prox of `g`,
 * extrapolation). A row-interleaved single sweep and a combined dual+primal inner loop were
 * measured slower in V8 (register pressure, more live streams). Iterates agree with the generic
 * `Pdhg` on `Gradient2D` + `HuberConjugate` + `QuadraticFidelity` to rounding (tested to 1e-12).
 * A generic `Pdhg` state warm-starts it through `{ x, y }` (same `y` layout).
 */
export class HuberTvPdhg implements Solver<HuberTvProblem, HuberTvState, HuberTvCertificate> {
  /** @internal Validated options. */
  readonly options: z.output<typeof huberTvOptionsSchema>;
  private readonly stepOptions: HuberTvOptions;

  /** @param options step-rule options (see `pdhgSteps`). */
  constructor(options: HuberTvOptions = {}) {
    this.options = parseOrThrow(huberTvOptionsSchema, options, 'huber-tv pdhg options');
    this.stepOptions = options;
  }

  /** Allocate the state, warm-started from `warm` (`{ x, y }` or a full snapshot). */
  init(problem: HuberTvProblem, warm?: Partial<HuberTvState>): HuberTvState {
    parseOrThrow(problemSchema, problem, 'huber-tv problem');
    const [C, H, W] = problem.shape as [number, number, number];
    const N = C * H * W;
    if (problem.b.length !== N) throw new ShapeError(`huber-tv problem b: expected length ${N} (shape ${C}×${H}×${W}), got ${problem.b.length}`);
    assertFinite('huber-tv problem b', problem.b);
    const lambda = problem.lambda ?? 1;
    const steps = pdhgSteps(
      { normK: { value: gradientNorm(H, W), kind: 'exact' }, muG: lambda, muFStar: problem.epsilon / problem.alpha },
      this.stepOptions,
    );
    const y = new Float64Array(2 * N);
    const state: HuberTvState = {
      x: new Float64Array(N),
      xBar: new Float64Array(N),
      y,
      tau: steps.tau,
      sigma: steps.sigma,
      theta: steps.kind === 'accelerated' ? 1 : steps.theta,
      tauLast: 0,
      primalChange: 0,
      iteration: 0,
      cost: zeroCost(),
      halt: null,
      work: { problem, steps, C, H, W, N, y0: y.subarray(0, N), y1: y.subarray(N), cert: null },
    };
    if (warm) {
      copyWarm('x', warm.x, state.x);
      copyWarm('y', warm.y, state.y);
      if (!copyWarm('xBar', warm.xBar, state.xBar)) state.xBar.set(state.x);
      if (warm.tau !== undefined) state.tau = warm.tau;
      if (warm.sigma !== undefined) state.sigma = warm.sigma;
      if (warm.theta !== undefined) state.theta = warm.theta;
      if (warm.tauLast !== undefined) state.tauLast = warm.tauLast;
      if (warm.primalChange !== undefined) state.primalChange = warm.primalChange;
      if (warm.iteration !== undefined) state.iteration = warm.iteration;
      if (warm.cost) Object.assign(state.cost, warm.cost);
      if (warm.halt !== undefined) state.halt = warm.halt;
      const p = state.tau * state.sigma * steps.normK * steps.normK;
      if (!(state.tau > 0 && state.sigma > 0) || p > 1 + 1e-9) {
        throw new ValidationError(`huber-tv warm start: tau = ${state.tau}, sigma = ${state.sigma} give tau·sigma·‖K‖² = ${p} > 1; pass only { x, y } for a new problem`);
      }
    } else {
      state.xBar.set(state.x);
    }
    return state;
  }

  /** One fused PDHG iteration (no allocation): a dual pass, then a primal pass. */
  step(s: HuberTvState): void {
    const wk = s.work;
    const { C, H, W, y0, y1 } = wk;
    const { alpha, epsilon, b } = wk.problem;
    const lambda = wk.problem.lambda ?? 1;
    const tau = s.tau;
    const sigma = s.sigma;
    const accelerated = wk.steps.kind === 'accelerated';
    // ϑ_n of this step's extrapolation x̄ⁿ⁺¹ = xⁿ⁺¹ + ϑ_n(xⁿ⁺¹ − xⁿ).
    const theta = accelerated ? acceleratedTheta(tau, wk.steps.gamma) : s.theta;
    const tl = tau * lambda;
    dualPass(s.xBar, y0, y1, C, H, W, sigma, alpha / (alpha + sigma * epsilon), alpha);
    const dx2 = primalPass(s.x, s.xBar, y0, y1, b, C, H, W, tau, tl, 1 / (1 + tl), theta);
    s.tauLast = tau;
    s.primalChange = dx2;
    if (accelerated) {
      s.theta = theta;
      s.tau = tau * theta;
      s.sigma = sigma / theta;
    }
    const cost = s.cost;
    cost.apply++;
    cost.adjoint++;
    cost.prox += 2;
    cost.iterations++;
    s.iteration++;
    // Σ(xⁿ⁺¹ − xⁿ)² is NaN or ∞ as soon as one entry is.
    if (!Number.isFinite(dx2)) s.halt = 'diverged';
  }

  /**
   * Certificate of `(xⁿ, yⁿ)` in three row-wise passes (about two iterations of work):
   * `p = ∇f(∇x) = α∇x/max(ε, |∇x|)`; `epsX = ‖λ(x − b) − div p‖/λ`; `u = ∇g*(div y) = b + div y/λ`;
   * `epsY = ‖min-norm of (ε/α)y − ∇u + N_{‖·‖≤α}(y)‖/(ε/α)`; gap `P(x) + f*(y) + g*(div y)`;
   * primal residual `‖xⁿ⁻¹ − xⁿ‖/τ` from the last step. Charged to `state.cost` as two
   * applications of `K` and `Kᵀ` (as the generic certificate).
   */
  certificate(s: HuberTvState): HuberTvCertificate {
    const wk = s.work;
    const { C, H, W, N, y0, y1 } = wk;
    const { alpha, epsilon, b } = wk.problem;
    const lambda = wk.problem.lambda ?? 1;
    if (!wk.cert) {
      const p = new Float64Array(2 * N);
      wk.cert = { p0: p.subarray(0, N), p1: p.subarray(N), u: new Float64Array(N) };
    }
    const { p0, p1, u } = wk.cert;
    const x = s.x;
    const smooth = epsilon > 0;
    const reg = alpha * huberGradientPass(x, p0, p1, C, H, W, alpha, epsilon);
    const sums = stationarityPass(x, b, p0, p1, y0, y1, u, C, H, W, lambda);
    const kappa = epsilon / alpha;
    const dual = dualStationarityPass(y0, y1, u, C, H, W, alpha, kappa);
    const cost = s.cost;
    cost.apply += 2;
    cost.adjoint += 2;
    cost.gradient += 2;
    const primalObjective = 0.5 * lambda * sums.data + reg;
    const dualObjective = -dual.fStar - sums.gStar;
    const primalStationarity = smooth ? Math.sqrt(sums.rx2) : Infinity;
    const dualStationarity = smooth ? Math.sqrt(dual.ry2) : Infinity;
    const epsX = primalStationarity / lambda;
    const epsY = smooth ? dualStationarity / kappa : Infinity;
    const distance = Math.max(epsX, epsY);
    return {
      distance: Number.isNaN(distance) ? Infinity : distance,
      epsX,
      epsY,
      primalStationarity,
      dualStationarity,
      gap: primalObjective - dualObjective,
      primalObjective,
      dualObjective,
      primalResidual: s.tauLast > 0 ? Math.sqrt(s.primalChange) / s.tauLast : Infinity,
    };
  }
}

/**
 * Writes `p = ∇f(∇x) = α∇x/max(ε, |∇x|)` (per pixel and channel, Neumann) and
 * returns `Σ Huber_ε(|∇x|)` (`Huber_0 = |·|`: then `p` is 0 where `∇x = 0`).
 */
function huberGradientPass(x: Vec, p0: Vec, p1: Vec, C: number, H: number, W: number, alpha: number, epsilon: number): number {
  const HW = H * W;
  const smooth = epsilon > 0;
  const aOverE = smooth ? alpha / epsilon : 0;
  const e2 = epsilon * epsilon;
  const halfInvE = smooth ? 0.5 / epsilon : 0;
  let reg = 0;
  for (let base = 0; base < C * HW; base += HW) {
    for (let i = 0; i < H; i++) {
      const r = base + i * W;
      const e = r + W - 1;
      const dW = i < H - 1 ? W : 0;
      for (let k = r; k <= e; k++) {
        const v = x[k]!;
        const g0 = k < e ? x[k + 1]! - v : 0;
        const g1 = x[k + dW]! - v;
        const t2 = g0 * g0 + g1 * g1;
        let sc = aOverE;
        if (t2 <= e2) reg += t2 * halfInvE;
        else {
          const t = Math.sqrt(t2);
          sc = alpha / t;
          reg += t - 0.5 * epsilon;
        }
        p0[k] = sc * g0;
        p1[k] = sc * g1;
      }
    }
  }
  return reg;
}

/**
 * One pass computing `r_x = λ(x − b) − div p` (returns `Σ r_x²`), `u = b + div y/λ = ∇g*(div y)`,
 * `Σ (x − b)²` and `g*(div y) = ⟨div y, b⟩ + ‖div y‖²/(2λ)`. Interior rows run branch-free
 * (first/last column outside the loop); the first and last row of each channel test boundaries.
 */
function stationarityPass(
  x: Vec,
  b: Vec,
  p0: Vec,
  p1: Vec,
  y0: Vec,
  y1: Vec,
  u: Vec,
  C: number,
  H: number,
  W: number,
  lambda: number,
): { rx2: number; data: number; gStar: number } {
  const HW = H * W;
  const invLambda = 1 / lambda;
  const halfInvLambda = 0.5 / lambda;
  let rx2 = 0;
  let data = 0;
  let gStar = 0;
  for (let base = 0; base < C * HW; base += HW) {
    for (let i = 0; i < H; i++) {
      const r = base + i * W;
      const e = r + W - 1;
      const up = i > 0;
      const own = i < H - 1;
      const interior = up && own && W > 1;
      for (let k = r; k <= e; k++) {
        if (interior && k > r) {
          // branch-free interior run up to the last column
          for (; k < e; k++) {
            const dpk = p0[k]! - p0[k - 1]! + p1[k]! - p1[k - W]!;
            const dyk = y0[k]! - y0[k - 1]! + y1[k]! - y1[k - W]!;
            const bk = b[k]!;
            const dxb = x[k]! - bk;
            const rx = lambda * dxb - dpk;
            rx2 += rx * rx;
            data += dxb * dxb;
            gStar += dyk * bk + dyk * dyk * halfInvLambda;
            u[k] = bk + dyk * invLambda;
          }
        }
        const dp = (k < e ? p0[k]! : 0) - (k > r ? p0[k - 1]! : 0) + (own ? p1[k]! : 0) - (up ? p1[k - W]! : 0);
        const dy = (k < e ? y0[k]! : 0) - (k > r ? y0[k - 1]! : 0) + (own ? y1[k]! : 0) - (up ? y1[k - W]! : 0);
        const bk = b[k]!;
        const dxb = x[k]! - bk;
        const rx = lambda * dxb - dp;
        rx2 += rx * rx;
        data += dxb * dxb;
        gStar += dy * bk + dy * dy * halfInvLambda;
        u[k] = bk + dy * invLambda;
      }
    }
  }
  return { rx2, data, gStar };
}

/**
 * `Σ‖s‖²` of the min-norm element `s` of `(ε/α)y − ∇u + N_{‖·‖≤α}(y)` per pixel (the ball rule of
 * piggyback-pdhg.md §2.2: on the boundary `s ← s + λ*y`, `λ* = max(0, −⟨s, y⟩/α²)`; `+∞` outside
 * the ball), and `f*(y) = (ε/2α)‖y‖²` (`+∞` if infeasible beyond the 1e-12 slack).
 */
function dualStationarityPass(
  y0: Vec,
  y1: Vec,
  u: Vec,
  C: number,
  H: number,
  W: number,
  alpha: number,
  kappa: number,
): { ry2: number; fStar: number } {
  const HW = H * W;
  const a2 = alpha * alpha;
  const inner = a2 * (1 - 1e-10) * (1 - 1e-10);
  const outer = a2 * (1 + 1e-10) * (1 + 1e-10);
  const feasible = a2 * (1 + 1e-12) * (1 + 1e-12);
  // ‖y‖² = α²(1 ± 2e-10) on the boundary band; any λ ≥ 0 gives a valid subgradient (still a
  // bound) and 1/α² is the exact minimiser up to that relative error.
  const invA2 = 1 / a2;
  let ry2 = 0;
  let yy = 0;
  let outside = false;
  let infeasible = false;
  for (let base = 0; base < C * HW; base += HW) {
    for (let i = 0; i < H; i++) {
      const r = base + i * W;
      const e = r + W - 1;
      const dW = i < H - 1 ? W : 0;
      let uk = u[r]!;
      for (let k = r; k <= e; k++) {
        const a = y0[k]!;
        const c = y1[k]!;
        // the last column has no x-difference of u
        const un = k < e ? u[k + 1]! : uk;
        let s0 = kappa * a - (un - uk);
        let s1 = kappa * c - (u[k + dW]! - uk);
        uk = un;
        const r2 = a * a + c * c;
        yy += r2;
        const l = r2 >= inner ? Math.max(0, -(s0 * a + s1 * c) * invA2) : 0;
        s0 += l * a;
        s1 += l * c;
        ry2 += s0 * s0 + s1 * s1;
        if (r2 > feasible) {
          infeasible = true;
          if (r2 > outer) outside = true;
        }
      }
    }
  }
  if (outside) ry2 = Infinity;
  return { ry2, fStar: infeasible ? Infinity : 0.5 * kappa * yy };
}

/**
 * Dual pass `y ← prox_{σf*}(y + σ∇x̄)`: per pixel `w = y + σ∇x̄`, `y = min(c, α/‖w‖)·w` with
 * `c = α/(α + σε)`; the sqrt and the division run only where `c‖w‖ > α` (active ball).
 * `y0`, `y1` are the x- and y-difference halves of `y`. The last column has no x-difference
 * (outside the inner loop); in the last row the y-difference `x̄[k + dW] − x̄[k]` with `dW = 0`
 * is exactly 0, so one loop serves every row. Unrolled by two.
 */
function dualPass(xb: Vec, y0: Vec, y1: Vec, C: number, H: number, W: number, sigma: number, c: number, alpha: number): void {
  const a2 = alpha * alpha;
  const c2 = c * c;
  const HW = H * W;
  for (let base = 0; base < C * HW; base += HW) {
    for (let i = 0; i < H; i++) {
      const r = base + i * W;
      const e = r + W - 1;
      const dW = i < H - 1 ? W : 0;
      let k = r;
      let v = xb[r]!;
      for (; k + 1 < e; k += 2) {
        const v1 = xb[k + 1]!;
        const v2 = xb[k + 2]!;
        const w0 = y0[k]! + sigma * (v1 - v);
        const w1 = y1[k]! + sigma * (xb[k + dW]! - v);
        const u0 = y0[k + 1]! + sigma * (v2 - v1);
        const u1 = y1[k + 1]! + sigma * (xb[k + 1 + dW]! - v1);
        const r2 = w0 * w0 + w1 * w1;
        const q2 = u0 * u0 + u1 * u1;
        const sw = c2 * r2 <= a2 ? c : alpha / Math.sqrt(r2);
        const su = c2 * q2 <= a2 ? c : alpha / Math.sqrt(q2);
        y0[k] = sw * w0;
        y1[k] = sw * w1;
        y0[k + 1] = su * u0;
        y1[k + 1] = su * u1;
        v = v2;
      }
      if (k < e) {
        const v1 = xb[k + 1]!;
        const w0 = y0[k]! + sigma * (v1 - v);
        const w1 = y1[k]! + sigma * (xb[k + dW]! - v);
        const r2 = w0 * w0 + w1 * w1;
        const sw = c2 * r2 <= a2 ? c : alpha / Math.sqrt(r2);
        y0[k] = sw * w0;
        y1[k] = sw * w1;
        v = v1;
      }
      // last column: no x-difference
      const w0 = y0[e]!;
      const w1 = y1[e]! + sigma * (xb[e + dW]! - v);
      const r2 = w0 * w0 + w1 * w1;
      const sw = c2 * r2 <= a2 ? c : alpha / Math.sqrt(r2);
      y0[e] = sw * w0;
      y1[e] = sw * w1;
    }
  }
}

/**
 * Primal pass `x⁺ = (x + τ div y + τλb)/(1 + τλ)`, `x̄ = x⁺ + ϑ(x⁺ − x)`; returns `Σ(x⁺ − x)²`.
 * `div y = y0[j] − y0[j−1] + y1[i] − y1[i−1]` with the Neumann terms dropped (`y0` of the last
 * column, `y1` of the last row, and the missing `j−1`, `i−1` at the first column/row). Interior
 * rows run a branch-free loop (first/last column outside it, unrolled by two); the first and last
 * row of each channel take a short loop with the boundary tests.
 */
function primalPass(
  x: Vec,
  xb: Vec,
  y0: Vec,
  y1: Vec,
  b: Vec,
  C: number,
  H: number,
  W: number,
  tau: number,
  tl: number,
  inv: number,
  theta: number,
): number {
  const HW = H * W;
  let s0 = 0;
  let s1 = 0;
  for (let base = 0; base < C * HW; base += HW) {
    for (let i = 0; i < H; i++) {
      const r = base + i * W;
      const e = r + W - 1;
      if (i === 0 || i === H - 1 || W < 2) {
        const up = i > 0;
        const own = i < H - 1;
        for (let k = r; k <= e; k++) {
          const d = (k < e ? y0[k]! : 0) - (k > r ? y0[k - 1]! : 0) + (own ? y1[k]! : 0) - (up ? y1[k - W]! : 0);
          const xo = x[k]!;
          const xn = (xo + tau * d + tl * b[k]!) * inv;
          x[k] = xn;
          xb[k] = xn + theta * (xn - xo);
          s0 += (xn - xo) * (xn - xo);
        }
        continue;
      }
      let yl = y0[r]!;
      {
        // first column: no y0[j−1]
        const d = yl + y1[r]! - y1[r - W]!;
        const xo = x[r]!;
        const xn = (xo + tau * d + tl * b[r]!) * inv;
        x[r] = xn;
        xb[r] = xn + theta * (xn - xo);
        s0 += (xn - xo) * (xn - xo);
      }
      let k = r + 1;
      for (; k + 1 < e; k += 2) {
        const ya = y0[k]!;
        const yb = y0[k + 1]!;
        const d = ya - yl + y1[k]! - y1[k - W]!;
        const f = yb - ya + y1[k + 1]! - y1[k + 1 - W]!;
        yl = yb;
        const xo = x[k]!;
        const xp = x[k + 1]!;
        const xn = (xo + tau * d + tl * b[k]!) * inv;
        const xq = (xp + tau * f + tl * b[k + 1]!) * inv;
        x[k] = xn;
        x[k + 1] = xq;
        xb[k] = xn + theta * (xn - xo);
        xb[k + 1] = xq + theta * (xq - xp);
        s0 += (xn - xo) * (xn - xo);
        s1 += (xq - xp) * (xq - xp);
      }
      if (k < e) {
        const ya = y0[k]!;
        const d = ya - yl + y1[k]! - y1[k - W]!;
        yl = ya;
        const xo = x[k]!;
        const xn = (xo + tau * d + tl * b[k]!) * inv;
        x[k] = xn;
        xb[k] = xn + theta * (xn - xo);
        s0 += (xn - xo) * (xn - xo);
      }
      {
        // last column: y0 of the last column is dropped
        const d = -yl + y1[e]! - y1[e - W]!;
        const xo = x[e]!;
        const xn = (xo + tau * d + tl * b[e]!) * inv;
        x[e] = xn;
        xb[e] = xn + theta * (xn - xo);
        s0 += (xn - xo) * (xn - xo);
      }
    }
  }
  return s0 + s1;
}
