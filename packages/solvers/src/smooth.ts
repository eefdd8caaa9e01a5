/**
 * Gradient descent and FISTA for μ-strongly convex smooth problems `min_x h(x)` (the smooth
 * lower level of MAID, arXiv 2308.10098), with the certificate `‖x − x̂‖ ≤ ‖∇h(x)‖/μ`.
 * @module
 */
import {
  ValidationError,
  nonNegative,
  parseOrThrow,
  positive,
  positiveInt,
  shapeSize,
  tolerance,
  zeroCost,
  z,
  type Certificate,
  type Cost,
  type SmoothProblem,
  type Solver,
  type SolverState,
  type StopReason,
  type StoppingCriterion,
  type Vec,
} from '@bilevel/core';
import { copyWarm, copyWarmScalars } from './internal.js';

/** @internal zod schema of {@link SmoothOptions}. */
export const smoothOptionsSchema = z.strictObject({
  tau: positive.optional(),
  mu: nonNegative.optional(),
  lipschitz: positive.optional(),
  backtracking: z.boolean().optional(),
  tau0: positive.default(1),
  shrink: z.number().gt(0).lt(1).default(0.5),
  maxBacktracks: positiveInt.default(60),
});

/**
 * Options of {@link Fista} and {@link GradientDescent} (zod-validated, unknown keys rejected).
 *
 * Defaults and sources: `tau = 1/L` with `L = lipschitz ?? h.lipschitz` (MAID code: `τ = 1/L`;
 * FISTA needs `τ ≤ 1/L`, gradient descent `τ < 2/L`); `mu = h.strongConvexity`; `backtracking`
 * on when `L` is not finite and `tau` is not given (Beck–Teboulle 2009: shrink `τ ← shrink·τ`
 * until `h(x⁺) ≤ h(z) − (τ/2)‖∇h(z)‖²`), from `tau0 = 1`, `shrink = 0.5`, at most
 * `maxBacktracks = 60` shrinks per step.
 */
export interface SmoothOptions {
  /** Step `τ` (default `1/L`; with backtracking the initial step). */
  readonly tau?: number;
  /** Strong convexity `μ` used by the momentum (FISTA) and the certificate (default `h.strongConvexity`). */
  readonly mu?: number;
  /** Lipschitz constant `L` of `∇h` (default `h.lipschitz`). */
  readonly lipschitz?: number;
  /** Backtracking line search (default: on iff `L` is unknown and `tau` not given). */
  readonly backtracking?: boolean;
  /** Initial step of backtracking when neither `tau` nor a finite `L` is known (default 1). */
  readonly tau0?: number;
  /** Shrink factor of backtracking, in (0, 1) (default 0.5). */
  readonly shrink?: number;
  /** Maximum shrinks in one step before stopping with `'breakdown'` (default 60). */
  readonly maxBacktracks?: number;
}

/**
 * The stopping rule of a smooth lower level `h` to accuracy `ε`: the certified distance
 * `‖∇h(x)‖/μ ≤ ε` (Lemma 1 / MAID) when `h` is `μ`-strongly convex, `μ > 0`; otherwise (a
 * non-convex or merely convex `h`, signed modulus `μ ≤ 0`) the stationarity `‖∇h(x)‖ ≤ ε`, which
 * certifies no distance to a minimiser.
 */
export function smoothTolerance(h: { readonly strongConvexity?: number }, epsilon: number): StoppingCriterion {
  return tolerance(epsilon, (h.strongConvexity ?? 0) > 0 ? 'distance' : 'gradientNorm');
}

/** Certificate of the smooth solvers: `distance = ‖∇h(x)‖/μ ≥ ‖x − x̂‖` (Lemma 1 / MAID stopping rule). */
export interface SmoothCertificate extends Certificate {
  /** `‖∇h(x)‖/μ` (`Infinity` when `μ = 0`). */
  readonly distance: number;
  /** `‖∇h(x)‖`. */
  readonly gradientNorm: number;
  /** Current step `τ`. */
  readonly tau: number;
}

/** Derived data of the smooth solvers (not serialised). */
export interface SmoothWork {
  /** The problem. */
  readonly problem: SmoothProblem;
  /** `μ` in use. */
  readonly mu: number;
  /** Whether backtracking is on. */
  readonly backtracking: boolean;
  /** Momentum point `z` (FISTA) / trial point (gradient descent). */
  z: Vec;
  /** `∇h(z)` (FISTA) / `∇h(x)` (gradient descent, always current). */
  readonly grad: Vec;
  /** `∇h(x)` for the FISTA certificate. */
  readonly gradX: Vec;
  /** `h(x)` when known (gradient descent with backtracking), else NaN. */
  hx: number;
}

/** State of {@link Fista} and {@link GradientDescent}; top-level arrays and scalars are serialisable. */
export interface SmoothState extends SolverState {
  /** Iterate `x_k`. */
  x: Vec;
  /** Previous iterate `x_{k−1}` (FISTA; equals `x` before the first step). */
  xPrev: Vec;
  /** FISTA momentum sequence `t_k` (`t_0 = 0`); unused by gradient descent. */
  t: number;
  /** Current step `τ` (shrinks under backtracking). */
  tau: number;
  /** Total backtracking shrinks so far. */
  backtracks: number;
  /** Iterations completed. */
  iteration: number;
  /** Work done. */
  readonly cost: Cost;
  /** `'diverged'` (NaN/Inf) or `'breakdown'` (backtracking failed) when set by `step`. */
  halt: StopReason | null;
  /** Derived data. */
  readonly work: SmoothWork;
}

/**
 * Relative slack `1e-12·|h(z)|` in the sufficient-decrease test: near the optimum the predicted
 * decrease `(τ/2)‖∇h‖²` falls below the rounding error of evaluating `h` (which scales with its
 * terms, not with `|h|`), and an exact test would shrink `τ` forever. A too-large step still
 * fails the test once its error grows past the slack.
 */
const DECREASE_SLACK = 1e-12;

abstract class SmoothSolver implements Solver<SmoothProblem, SmoothState, SmoothCertificate> {
  /** @internal Validated options. */
  readonly options: z.output<typeof smoothOptionsSchema>;
  /** @internal Name used in messages. */
  protected abstract readonly name: string;
  /** Largest admissible `τL` without backtracking. */
  protected abstract readonly maxTauL: number;

  constructor(options: SmoothOptions = {}) {
    this.options = parseOrThrow(smoothOptionsSchema, options, 'smooth solver options');
  }

  init(problem: SmoothProblem, warm?: Partial<SmoothState>): SmoothState {
    const h = problem.h;
    const o = this.options;
    const n = shapeSize(h.shape);
    const L = o.lipschitz ?? h.lipschitz;
    // a signed modulus ≤ 0 (a lower level with no certified strong convexity) runs as μ = 0
    const mu = Math.max(0, o.mu ?? h.strongConvexity ?? 0);
    const backtracking = o.backtracking ?? (!Number.isFinite(L) && o.tau === undefined);
    let tau: number;
    if (o.tau !== undefined) tau = o.tau;
    else if (Number.isFinite(L) && L > 0) tau = 1 / L;
    else if (backtracking) tau = o.tau0;
    else {
      throw new ValidationError(
        `invalid ${this.name} options:\n  lipschitz: h.lipschitz is ${L}; pass tau or lipschitz, or set backtracking: true`,
        ['lipschitz: unknown'],
      );
    }
    if (!backtracking && Number.isFinite(L) && tau * L > this.maxTauL * (1 + 1e-12)) {
      const issue = `tau: tau·L = ${tau * L} exceeds ${this.maxTauL} (tau = ${tau}, lipschitz L = ${L})`;
      throw new ValidationError(`invalid ${this.name} options:\n  ${issue}\n  choose tau ≤ ${this.maxTauL}/L or enable backtracking`, [issue]);
    }
    const state: SmoothState = {
      x: new Float64Array(n),
      xPrev: new Float64Array(n),
      t: 0,
      tau,
      backtracks: 0,
      iteration: 0,
      cost: zeroCost(),
      halt: null,
      work: {
        problem,
        mu,
        backtracking,
        z: new Float64Array(n),
        grad: new Float64Array(n),
        gradX: new Float64Array(n),
        hx: NaN,
      },
    };
    if (warm) {
      copyWarm('x', warm.x, state.x);
      if (!copyWarm('xPrev', warm.xPrev, state.xPrev)) state.xPrev.set(state.x);
      copyWarmScalars(state, warm, ['t', 'tau', 'backtracks']);
    } else {
      state.xPrev.set(state.x);
    }
    this.prepare(state);
    return state;
  }

  /** Solver-specific initialisation after the warm start. */
  protected prepare(_state: SmoothState): void {}

  abstract step(state: SmoothState): void;

  /** `‖∇h(x)‖/μ` at the current iterate. */
  abstract certificate(state: SmoothState): SmoothCertificate;

  /**
   * `out = z − τ g`, with backtracking on `τ` if enabled (`hz = h(z)`, `gg = ‖g‖²`); returns
   * `h(out)` when evaluated (else NaN). Sets `halt` on NaN or failed backtracking.
   */
  protected descend(s: SmoothState, zPt: Vec, g: Vec, out: Vec, hz: number, gg: number): number {
    const n = out.length;
    const h = s.work.problem.h;
    let shrinks = 0;
    for (;;) {
      const tau = s.tau;
      let acc = 0;
      for (let i = 0; i < n; i++) {
        const v = zPt[i]! - tau * g[i]!;
        out[i] = v;
        acc += v;
      }
      if (!Number.isFinite(acc)) {
        s.halt = 'diverged';
        return NaN;
      }
      if (!s.work.backtracking) return NaN;
      const hNew = h.value(out);
      if (hNew <= hz - 0.5 * tau * gg + DECREASE_SLACK * Math.abs(hz)) return hNew;
      if (shrinks >= this.options.maxBacktracks) {
        s.halt = 'breakdown';
        return hNew;
      }
      s.tau = tau * this.options.shrink;
      s.backtracks++;
      shrinks++;
    }
  }
}

function sumSquares(n: number, g: Vec): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += g[i]! * g[i]!;
  return s;
}

/**
 * FISTA for μ-strongly convex `h` (Chambolle–Pock 2016, "An introduction to continuous
 * optimization for imaging", Acta Numerica, Alg. 5 with all strong convexity in the smooth part,
 * μ_g = 0; the same recursion as the MAID code):
 * ```
 * q = τμ
 * t_{k+1} = ½ (1 − q t_k² + √((1 − q t_k²)² + 4 t_k²)),   t_0 = 0
 * β_k = (t_k − 1)(1 − t_{k+1} q) / (t_{k+1}(1 − q))
 * z = x_k + β_k (x_k − x_{k−1}),   x_{k+1} = z − τ ∇h(z)
 * ```
 * CP2016 Thm. 4.10 admits any `0 ≤ t_0 ≤ 1/√q`; with `t_0 = 0` the first two steps are plain
 * gradient steps (`β_0` multiplies `x_0 − x_{−1} = 0`, `t_1 = 1` gives `β_1 = 0`), then `t_k → 1/√q`
 * and `β_k → (1 − √q)/(1 + √q)`, Nesterov's constant momentum; the rate is
 * `min((1 − √q)^k, 4/(k+1)²)`. With `μ = 0` it is Beck–Teboulle's FISTA (`t_{k+1} = (1 + √(1 + 4t_k²))/2`).
 * `q` is clamped below 1 (`q = 1` means a single gradient step is exact).
 *
 * Backtracking (when on) shrinks `τ` inside a step; the next step's `q` uses the new `τ`
 * (a common heuristic; Calatroni–Chambolle 2019 give a variant with proven rates).
 * Cost per step: one gradient (+ values when backtracking). Certificate: one more gradient.
 */
export class Fista extends SmoothSolver {
  /** @internal */
  protected readonly name = 'fista';
  /** @internal */
  protected readonly maxTauL = 1;

  /** One FISTA step (no allocation). */
  step(s: SmoothState): void {
    const w = s.work;
    const h = w.problem.h;
    const x = s.x;
    const xp = s.xPrev;
    const zPt = w.z;
    const n = x.length;
    const q = Math.min(s.tau * w.mu, 1 - 1e-12);
    const t = s.t;
    const a = 1 - q * t * t;
    const tNext = 0.5 * (a + Math.sqrt(a * a + 4 * t * t));
    const beta = ((t - 1) * (1 - tNext * q)) / (tNext * (1 - q));
    for (let i = 0; i < n; i++) {
      const xi = x[i]!;
      zPt[i] = xi + beta * (xi - xp[i]!);
    }
    h.gradient(zPt, w.grad);
    s.cost.gradient++;
    let hz = NaN;
    let gg = 0;
    if (w.backtracking) {
      hz = h.value(zPt);
      gg = sumSquares(n, w.grad);
    }
    // x_{k+1} is written into the x_{k−1} buffer, then the buffers swap.
    this.descend(s, zPt, w.grad, xp, hz, gg);
    s.xPrev = x;
    s.x = xp;
    s.t = tNext;
    s.iteration++;
    s.cost.iterations++;
  }

  /** `‖∇h(x_k)‖/μ` (one gradient, charged to `state.cost`). */
  certificate(s: SmoothState): SmoothCertificate {
    const w = s.work;
    w.problem.h.gradient(s.x, w.gradX);
    s.cost.gradient++;
    const gn = Math.sqrt(sumSquares(s.x.length, w.gradX));
    return { distance: w.mu > 0 ? gn / w.mu : Infinity, gradientNorm: gn, tau: s.tau };
  }
}

/**
 * Gradient descent `x_{k+1} = x_k − τ ∇h(x_k)` (default `τ = 1/L`; converges for `τ < 2/L`,
 * linearly with factor `max(|1 − τμ|, |1 − τL|)` for μ-strongly convex `h`; Nesterov 2004,
 * Thm. 2.1.15), with optional Armijo backtracking `h(x⁺) ≤ h(x) − (τ/2)‖∇h(x)‖²`.
 * The gradient at the current iterate is kept, so the certificate `‖∇h(x)‖/μ` is free.
 * Cost per step: one gradient (+ values when backtracking).
 */
export class GradientDescent extends SmoothSolver {
  /** @internal */
  protected readonly name = 'gradient descent';
  /** @internal */
  protected readonly maxTauL = 2;

  protected override prepare(s: SmoothState): void {
    const w = s.work;
    w.problem.h.gradient(s.x, w.grad);
    s.cost.gradient++;
    if (w.backtracking) w.hx = w.problem.h.value(s.x);
  }

  /** One gradient step (no allocation). */
  step(s: SmoothState): void {
    const w = s.work;
    const h = w.problem.h;
    const n = s.x.length;
    const gg = w.backtracking ? sumSquares(n, w.grad) : 0;
    const trial = w.z;
    const hNew = this.descend(s, s.x, w.grad, trial, w.hx, gg);
    // Swap x with the trial buffer; x_{k} becomes xPrev's content.
    const old = s.x;
    s.x = trial;
    w.z = s.xPrev;
    s.xPrev = old;
    w.hx = hNew;
    h.gradient(s.x, w.grad);
    s.cost.gradient++;
    s.iteration++;
    s.cost.iterations++;
  }

  /** `‖∇h(x_k)‖/μ` from the stored gradient (no extra work). */
  certificate(s: SmoothState): SmoothCertificate {
    const w = s.work;
    const gn = Math.sqrt(sumSquares(s.x.length, w.grad));
    return { distance: w.mu > 0 ? gn / w.mu : Infinity, gradientNorm: gn, tau: s.tau };
  }
}
