/**
 * Self-contained test fixtures: dense operators, quadratic and Huber functionals with the
 * capabilities the solvers use, a 2-D forward-difference gradient, and Gaussian elimination.
 */
import { Rng, type Certificate, type LinearOperator, type OperatorNorm, type Shape, type Solver, type SolverState, type Vec } from '@bilevel/core';
import { restoreState, serializeState, type StateSnapshot } from '@bilevel/solvers';

/** Solve `A x = b` (dense, row-major `n×n`) by Gaussian elimination with partial pivoting. */
export function solveDense(n: number, A: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  const M = Float64Array.from(A);
  const x = Float64Array.from(b);
  for (let k = 0; k < n; k++) {
    let p = k;
    for (let i = k + 1; i < n; i++) if (Math.abs(M[i * n + k]!) > Math.abs(M[p * n + k]!)) p = i;
    if (p !== k) {
      for (let j = 0; j < n; j++) {
        const t = M[k * n + j]!;
        M[k * n + j] = M[p * n + j]!;
        M[p * n + j] = t;
      }
      const t = x[k]!;
      x[k] = x[p]!;
      x[p] = t;
    }
    for (let i = k + 1; i < n; i++) {
      const f = M[i * n + k]! / M[k * n + k]!;
      if (f === 0) continue;
      for (let j = k; j < n; j++) M[i * n + j] = M[i * n + j]! - f * M[k * n + j]!;
      x[i] = x[i]! - f * x[k]!;
    }
  }
  for (let k = n - 1; k >= 0; k--) {
    let s = x[k]!;
    for (let j = k + 1; j < n; j++) s -= M[k * n + j]! * x[j]!;
    x[k] = s / M[k * n + k]!;
  }
  return x;
}

/** Largest singular value of a dense `rows×cols` matrix by a long power iteration (≈ exact). */
export function denseNorm(rows: number, cols: number, a: Float64Array): number {
  const x = new Float64Array(cols).fill(1);
  const y = new Float64Array(rows);
  let s = 0;
  for (let it = 0; it < 5000; it++) {
    for (let i = 0; i < rows; i++) {
      let t = 0;
      for (let j = 0; j < cols; j++) t += a[i * cols + j]! * x[j]!;
      y[i] = t;
    }
    x.fill(0);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) x[j] = x[j]! + a[i * cols + j]! * y[i]!;
    let nx = 0;
    for (let j = 0; j < cols; j++) nx += x[j]! * x[j]!;
    nx = Math.sqrt(nx);
    for (let j = 0; j < cols; j++) x[j] = x[j]! / nx;
    s = Math.sqrt(nx);
  }
  return s;
}

/** A dense matrix operator (row-major), with a known norm of the given kind. */
export class Dense implements LinearOperator {
  readonly domain: Shape;
  readonly range: Shape;
  readonly normValue: number;
  constructor(
    readonly rows: number,
    readonly cols: number,
    readonly a: Float64Array,
    readonly normKind: OperatorNorm['kind'] = 'exact',
  ) {
    this.domain = [cols];
    this.range = [rows];
    this.normValue = denseNorm(rows, cols, a) * (normKind === 'upper-bound' ? 1 + 1e-12 : 1);
  }
  static random(rows: number, cols: number, seed: number, scale = 1): Dense {
    const rng = Rng.seeded(seed);
    const a = rng.normalVec(rows * cols);
    for (let i = 0; i < a.length; i++) a[i] = (a[i]! * scale) / Math.sqrt(cols);
    return new Dense(rows, cols, a);
  }
  apply(x: Vec, out: Vec): Vec {
    for (let i = 0; i < this.rows; i++) {
      let s = 0;
      for (let j = 0; j < this.cols; j++) s += this.a[i * this.cols + j]! * x[j]!;
      out[i] = s;
    }
    return out;
  }
  adjoint(y: Vec, out: Vec): Vec {
    out.fill(0);
    for (let i = 0; i < this.rows; i++) {
      const yi = y[i]!;
      for (let j = 0; j < this.cols; j++) out[j] = out[j]! + this.a[i * this.cols + j]! * yi;
    }
    return out;
  }
  norm(): OperatorNorm {
    return { value: this.normValue, kind: this.normKind };
  }
  /** `Σ_j |K_ij|`. */
  rowSums(): Float64Array {
    const s = new Float64Array(this.rows);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) s[i] = s[i]! + Math.abs(this.a[i * this.cols + j]!);
    return s;
  }
  /** `Σ_i |K_ij|`. */
  colSums(): Float64Array {
    const s = new Float64Array(this.cols);
    for (let i = 0; i < this.rows; i++) for (let j = 0; j < this.cols; j++) s[j] = s[j]! + Math.abs(this.a[i * this.cols + j]!);
    return s;
  }
  /** `KᵀK` row-major. */
  gram(): Float64Array {
    const n = this.cols;
    const G = new Float64Array(n * n);
    for (let i = 0; i < this.rows; i++)
      for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) G[j * n + k] = G[j * n + k]! + this.a[i * n + j]! * this.a[i * n + k]!;
    return G;
  }
}

/**
 * A quadratic on `ℝⁿ` (`n = c.length`) with parameter `μ`, vector `c` and Hessian `curvature·I`:
 * its gradient Lipschitz constant and strong-convexity modulus are both `curvature`
 * (`μ` for {@link ShiftedQuadratic}, `1/μ` for its conjugate {@link ShiftedQuadraticConj}).
 */
abstract class IsotropicQuadratic {
  readonly shape: Shape;
  readonly lipschitz: number;
  readonly strongConvexity: number;
  constructor(
    readonly mu: number,
    readonly c: Float64Array,
    curvature: number,
  ) {
    this.shape = [c.length];
    this.lipschitz = curvature;
    this.strongConvexity = curvature;
  }
}

/**
 * `h(z) = (μ/2)‖z − c‖²` with every capability: prox, diagonal prox, gradient, min-norm
 * subgradient, Hessian, and its conjugate `h*(w) = ⟨w, c⟩ + ‖w‖²/(2μ)` ({@link ShiftedQuadraticConj}).
 */
export class ShiftedQuadratic extends IsotropicQuadratic {
  constructor(mu: number, c: Float64Array) {
    super(mu, c, mu);
  }
  value(x: Vec): number {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += (x[i]! - this.c[i]!) ** 2;
    return 0.5 * this.mu * s;
  }
  prox(v: Vec, tau: number, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) out[i] = (v[i]! + tau * this.mu * this.c[i]!) / (1 + tau * this.mu);
    return out;
  }
  proxDiagonal(v: Vec, steps: Vec, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) out[i] = (v[i]! + steps[i]! * this.mu * this.c[i]!) / (1 + steps[i]! * this.mu);
    return out;
  }
  proxJvp(_v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    for (let i = 0; i < dv.length; i++) out[i] = dv[i]! / (1 + tau * this.mu);
    return out;
  }
  gradient(x: Vec, out: Vec): Vec {
    for (let i = 0; i < x.length; i++) out[i] = this.mu * (x[i]! - this.c[i]!);
    return out;
  }
  hvp(_x: Vec, v: Vec, out: Vec): Vec {
    for (let i = 0; i < v.length; i++) out[i] = this.mu * v[i]!;
    return out;
  }
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    for (let i = 0; i < x.length; i++) out[i] = shift[i]! + this.mu * (x[i]! - this.c[i]!);
    return out;
  }
  conjugate(): ShiftedQuadraticConj {
    return new ShiftedQuadraticConj(this.mu, this.c);
  }
}

/** `h*(w) = ⟨w, c⟩ + ‖w‖²/(2μ)`, `∇h*(w) = c + w/μ`. */
export class ShiftedQuadraticConj extends IsotropicQuadratic {
  constructor(mu: number, c: Float64Array) {
    super(mu, c, 1 / mu);
  }
  value(w: Vec): number {
    let s = 0;
    for (let i = 0; i < w.length; i++) s += w[i]! * this.c[i]! + (w[i]! * w[i]!) / (2 * this.mu);
    return s;
  }
  gradient(w: Vec, out: Vec): Vec {
    for (let i = 0; i < w.length; i++) out[i] = this.c[i]! + w[i]! / this.mu;
    return out;
  }
}

/**
 * A function of `n` entries in groups of `G` at stride `N = n/G` (group `j` is `{j, j + N, …}`)
 * with weight `α` and Huber smoothing `ε`: the layout {@link HuberConj} and {@link Huber} share.
 */
abstract class StridedGroups {
  readonly shape: Shape;
  readonly groups: number;
  constructor(
    readonly n: number,
    readonly G: number,
    readonly alpha: number,
    readonly epsilon: number,
  ) {
    this.shape = [n];
    this.groups = n / G;
  }
  /** `‖v_j‖²`. */
  protected norm2(v: Vec, j: number): number {
    let s = 0;
    for (let k = 0; k < this.G; k++) s += v[j + k * this.groups]! ** 2;
    return s;
  }
  /** `out_j = c·v_j`. */
  protected scaleGroup(v: Vec, j: number, c: number, out: Vec): void {
    for (let k = 0; k < this.G; k++) out[j + k * this.groups] = c * v[j + k * this.groups]!;
  }
  /**
   * `out_j = (α/r)(v_j − u_j⟨u_j, v_j⟩/r²)` with `r = ‖u_j‖`: the derivative of `u_j ↦ α u_j/‖u_j‖`
   * in the direction `v_j` (the radial part projected out).
   */
  protected projectedGroup(u: Vec, v: Vec, j: number, r: number, out: Vec): void {
    let d = 0;
    for (let k = 0; k < this.G; k++) d += u[j + k * this.groups]! * v[j + k * this.groups]!;
    for (let k = 0; k < this.G; k++) {
      const i = j + k * this.groups;
      out[i] = (this.alpha / r) * (v[i]! - (u[i]! * d) / (r * r));
    }
  }
}

/**
 * `f*(y) = Σ_groups (ε/(2α))‖y_j‖² + ι{‖y_j‖ ≤ α}` with groups of `G` entries at stride `N = n/G`
 * (G = 2 on `[2, …]`: isotropic). Prox, prox Jacobian, min-norm subgradient, diagonal prox.
 */
export class HuberConj extends StridedGroups {
  readonly strongConvexity: number;
  constructor(n: number, G: number, alpha: number, epsilon: number) {
    super(n, G, alpha, epsilon);
    this.strongConvexity = epsilon / alpha;
  }
  value(y: Vec): number {
    let s = 0;
    for (let j = 0; j < this.groups; j++) {
      const r2 = this.norm2(y, j);
      if (r2 > (this.alpha * (1 + 1e-12)) ** 2) return Infinity;
      s += r2;
    }
    return (this.epsilon / (2 * this.alpha)) * s;
  }
  prox(w: Vec, sigma: number, out: Vec): Vec {
    const c = this.alpha / (this.alpha + sigma * this.epsilon);
    for (let j = 0; j < this.groups; j++) {
      this.scaleGroup(w, j, Math.min(c, this.alpha / Math.sqrt(this.norm2(w, j))), out);
    }
    return out;
  }
  proxDiagonal(w: Vec, steps: Vec, out: Vec): Vec {
    for (let j = 0; j < this.groups; j++) {
      const c = this.alpha / (this.alpha + steps[j]! * this.epsilon);
      this.scaleGroup(w, j, Math.min(c, this.alpha / Math.sqrt(this.norm2(w, j))), out);
    }
    return out;
  }
  proxJvp(w: Vec, sigma: number, dw: Vec, out: Vec): Vec {
    const c = this.alpha / (this.alpha + sigma * this.epsilon);
    for (let j = 0; j < this.groups; j++) {
      const r = Math.sqrt(this.norm2(w, j));
      if (c * r <= this.alpha) this.scaleGroup(dw, j, c, out);
      else this.projectedGroup(w, dw, j, r, out);
    }
    return out;
  }
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    const kappa = this.epsilon / this.alpha;
    for (let j = 0; j < this.groups; j++) {
      const r2 = this.norm2(y, j);
      const r = Math.sqrt(r2);
      let d = 0;
      for (let k = 0; k < this.G; k++) {
        const i = j + k * this.groups;
        out[i] = shift[i]! + kappa * y[i]!;
        d += out[i]! * y[i]!;
      }
      if (r >= this.alpha * (1 - 1e-10)) {
        if (r <= this.alpha * (1 + 1e-10)) {
          const l = Math.max(0, -d / r2);
          for (let k = 0; k < this.G; k++) out[j + k * this.groups] = out[j + k * this.groups]! + l * y[j + k * this.groups]!;
        } else for (let k = 0; k < this.G; k++) out[j + k * this.groups] = Infinity;
      }
    }
    return out;
  }
}

/** `f(u) = α Σ Huber_ε(‖u_j‖)` (groups as {@link HuberConj}), smooth with `∇f(u)_j = α u_j / max(ε, ‖u_j‖)`. */
export class Huber extends StridedGroups {
  readonly strongConvexity = 0;
  readonly lipschitz: number;
  constructor(n: number, G: number, alpha: number, epsilon: number) {
    super(n, G, alpha, epsilon);
    this.lipschitz = alpha / epsilon;
  }
  private norm(v: Vec, j: number): number {
    return Math.sqrt(this.norm2(v, j));
  }
  value(u: Vec): number {
    let s = 0;
    for (let j = 0; j < this.groups; j++) {
      const t = this.norm(u, j);
      s += t <= this.epsilon ? (t * t) / (2 * this.epsilon) : t - this.epsilon / 2;
    }
    return this.alpha * s;
  }
  gradient(u: Vec, out: Vec): Vec {
    for (let j = 0; j < this.groups; j++) {
      this.scaleGroup(u, j, this.alpha / Math.max(this.epsilon, this.norm(u, j)), out);
    }
    return out;
  }
  /** Generalised Hessian-vector product (for FISTA's `TwiceSmooth` contract). */
  hvp(u: Vec, v: Vec, out: Vec): Vec {
    for (let j = 0; j < this.groups; j++) {
      const t = this.norm(u, j);
      if (t <= this.epsilon) this.scaleGroup(v, j, this.alpha / this.epsilon, out);
      else this.projectedGroup(u, v, j, t, out);
    }
    return out;
  }
}

/**
 * 2-D forward differences with Neumann boundaries on `[C, H, W]` → `[2, C, H, W]`, x-differences
 * (width axis) first, as `@bilevel/operators` `Gradient2D` (written here per element, simply).
 */
export class Grad2D implements LinearOperator {
  readonly domain: Shape;
  readonly range: Shape;
  readonly N: number;
  constructor(
    readonly C: number,
    readonly H: number,
    readonly W: number,
  ) {
    this.domain = [C, H, W];
    this.range = [2, C, H, W];
    this.N = C * H * W;
  }
  /** Row `i` and column `j` of the flat index `k = (c·H + i)·W + j`. */
  private pixel(k: number): { i: number; j: number } {
    return { i: Math.floor(k / this.W) % this.H, j: k % this.W };
  }
  apply(x: Vec, out: Vec): Vec {
    const { H, W, N } = this;
    for (let k = 0; k < N; k++) {
      const { i, j } = this.pixel(k);
      out[k] = j < W - 1 ? x[k + 1]! - x[k]! : 0;
      out[N + k] = i < H - 1 ? x[k + W]! - x[k]! : 0;
    }
    return out;
  }
  adjoint(p: Vec, out: Vec): Vec {
    const { H, W, N } = this;
    for (let k = 0; k < N; k++) {
      const { i, j } = this.pixel(k);
      let s = 0;
      if (j < W - 1) s -= p[k]!;
      if (j > 0) s += p[k - 1]!;
      if (i < H - 1) s -= p[N + k]!;
      if (i > 0) s += p[N + k - W]!;
      out[k] = s;
    }
    return out;
  }
  norm(): OperatorNorm {
    const lam = (n: number): number => 4 * Math.cos(Math.PI / (2 * n)) ** 2;
    return { value: Math.sqrt(lam(this.W) + lam(this.H)), kind: 'exact' };
  }
}

/** Smooth Huber-TV primal `h(x) = (λ/2)‖x − b‖² + α Σ Huber_ε(|∇x|)` (for FISTA / GD). */
export class HuberTvSmooth {
  readonly shape: Shape;
  readonly strongConvexity: number;
  readonly lipschitz: number;
  private readonly u: Float64Array;
  private readonly p: Float64Array;
  private readonly huber: Huber;
  constructor(
    readonly K: Grad2D,
    readonly b: Float64Array,
    readonly alpha: number,
    readonly epsilon: number,
    readonly lambda = 1,
  ) {
    this.shape = K.domain;
    this.strongConvexity = lambda;
    this.lipschitz = lambda + (alpha / epsilon) * K.norm().value ** 2;
    this.u = new Float64Array(2 * K.N);
    this.p = new Float64Array(2 * K.N);
    this.huber = new Huber(2 * K.N, 2, alpha, epsilon);
  }
  value(x: Vec): number {
    let s = 0;
    for (let i = 0; i < x.length; i++) s += (x[i]! - this.b[i]!) ** 2;
    return 0.5 * this.lambda * s + this.huber.value(this.K.apply(x, this.u));
  }
  gradient(x: Vec, out: Vec): Vec {
    this.huber.gradient(this.K.apply(x, this.u), this.p);
    this.K.adjoint(this.p, out);
    for (let i = 0; i < x.length; i++) out[i] = out[i]! + this.lambda * (x[i]! - this.b[i]!);
    return out;
  }
  hvp(x: Vec, v: Vec, out: Vec): Vec {
    this.K.apply(x, this.u);
    const kv = new Float64Array(2 * this.K.N);
    this.K.apply(v, kv);
    this.huber.hvp(this.u, kv, this.p);
    this.K.adjoint(this.p, out);
    for (let i = 0; i < x.length; i++) out[i] = out[i]! + this.lambda * v[i]!;
    return out;
  }
}

/** `‖a − b‖₂`. */
export function dist(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

/** `max_i |a_i − b_i| / max(1, max_i |b_i|)`. */
export function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  let s = 1;
  for (let i = 0; i < a.length; i++) {
    m = Math.max(m, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return m / s;
}

/** A noisy piecewise-constant test image `[1, H, W]` (a bright square on a gradient) with seeded noise. */
export function testImage(H: number, W: number, seed: number, noise = 0.1): Float64Array {
  const rng = Rng.seeded(seed);
  const b = new Float64Array(H * W);
  for (let i = 0; i < H; i++)
    for (let j = 0; j < W; j++) {
      const inside = i >= H / 4 && i < (3 * H) / 4 && j >= W / 3 && j < (5 * W) / 6;
      b[i * W + j] = (inside ? 0.8 : 0.2) + (0.1 * j) / W + noise * rng.normal();
    }
  return b;
}

/**
 * The resume check of a solver: `total` steps from `init(problem)` without interruption, and a
 * second run of `at` steps, snapshot (`serializeState`, then `through`, e.g. a JSON round trip),
 * `restoreState` and the remaining `total − at` steps. Returns both final states.
 */
export function resumedRun<P, S extends SolverState, C extends Certificate>(
  solver: Solver<P, S, C>,
  problem: P,
  total: number,
  at: number,
  through: (snapshot: StateSnapshot) => StateSnapshot = (snapshot) => snapshot,
): { uninterrupted: S; resumed: S } {
  const uninterrupted = solver.init(problem);
  for (let k = 0; k < total; k++) solver.step(uninterrupted);
  const first = solver.init(problem);
  for (let k = 0; k < at; k++) solver.step(first);
  const resumed = restoreState(solver, problem, through(serializeState(first)));
  for (let k = at; k < total; k++) solver.step(resumed);
  return { uninterrupted, resumed };
}
