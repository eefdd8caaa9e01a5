/**
 * Test oracles with closed-form lower levels whose inexactness is simulated honestly: the
 * lower level is solved iteratively (gradient descent / CG, warm-started) until a certified
 * accuracy, the adjoint by CG until a certified residual, and the reported bound is the true
 * a-posteriori bound of docs/math/implicit.md#maids-bound-theorem-21 (never the true error, which the tests compute
 * from the closed form).
 */
import {
  Rng, zeroCost, type Cost, type HypergradientEstimate, type HypergradientOracle, type LossEstimate,
  type SampleWarmState, type Tolerances, type WarmState,
} from '@bilevel/core';

// ---------- small dense linear algebra (row-major) ----------

/** out = A x, A is m×n. */
export function matvec(A: Float64Array, m: number, n: number, x: Float64Array, out: Float64Array = new Float64Array(m)): Float64Array {
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let j = 0; j < n; j++) s += A[i * n + j]! * x[j]!;
    out[i] = s;
  }
  return out;
}

/** out = Aᵀ y, A is m×n. */
export function matTvec(A: Float64Array, m: number, n: number, y: Float64Array, out: Float64Array = new Float64Array(n)): Float64Array {
  out.fill(0);
  for (let i = 0; i < m; i++) {
    const yi = y[i]!;
    for (let j = 0; j < n; j++) out[j] = out[j]! + A[i * n + j]! * yi;
  }
  return out;
}

/** `AᵀA` of a row-major `m×n` matrix (`n×n`, row-major). */
export function gram(A: Float64Array, m: number, n: number): Float64Array {
  const G = new Float64Array(n * n);
  for (let a = 0; a < n; a++) for (let c = 0; c < n; c++) {
    let s = 0;
    for (let k = 0; k < m; k++) s += A[k * n + a]! * A[k * n + c]!;
    G[a * n + c] = s;
  }
  return G;
}

export function norm(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s);
}

export function dot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/** A random n×n orthogonal matrix (Gram–Schmidt of a Gaussian matrix), rows orthonormal. */
export function randomOrthogonal(n: number, rng: Rng): Float64Array {
  const Q = rng.normalVec(n * n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < i; k++) {
      let d = 0;
      for (let j = 0; j < n; j++) d += Q[i * n + j]! * Q[k * n + j]!;
      for (let j = 0; j < n; j++) Q[i * n + j] = Q[i * n + j]! - d * Q[k * n + j]!;
    }
    let s = 0;
    for (let j = 0; j < n; j++) s += Q[i * n + j]! ** 2;
    s = Math.sqrt(s);
    for (let j = 0; j < n; j++) Q[i * n + j] = Q[i * n + j]! / s;
  }
  return Q;
}

/** Qᵀ diag(lam) Q for Q with orthonormal rows. */
export function spectral(Q: Float64Array, lam: ArrayLike<number>, n: number): Float64Array {
  const A = new Float64Array(n * n);
  for (let k = 0; k < n; k++) {
    for (let i = 0; i < n; i++) {
      const a = lam[k]! * Q[k * n + i]!;
      for (let j = 0; j < n; j++) A[i * n + j] = A[i * n + j]! + a * Q[k * n + j]!;
    }
  }
  return A;
}

/** Solve the SPD system H x = b by Cholesky (H n×n). */
export function cholSolve(H: Float64Array, n: number, b: Float64Array): Float64Array {
  const L = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = H[i * n + j]!;
      for (let k = 0; k < j; k++) s -= L[i * n + k]! * L[j * n + k]!;
      L[i * n + j] = i === j ? Math.sqrt(s) : s / L[j * n + j]!;
    }
  }
  const y = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = b[i]!;
    for (let k = 0; k < i; k++) s -= L[i * n + k]! * y[k]!;
    y[i] = s / L[i * n + i]!;
  }
  const x = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < n; k++) s -= L[k * n + i]! * x[k]!;
    x[i] = s / L[i * n + i]!;
  }
  return x;
}

/**
 * CG for H q = r from q0 (H SPD via `apply`), stopping when the *true* residual ‖Hq − r‖ ≤ tol.
 * Returns the iterate, the certified residual and the iteration count.
 */
export function cg(
  apply: (v: Float64Array, out: Float64Array) => Float64Array, r: Float64Array, q0: Float64Array<ArrayBufferLike>, tol: number, maxIter: number,
): { q: Float64Array; residual: number; iterations: number } {
  const n = r.length;
  const q = q0.slice();
  const Hq = apply(q, new Float64Array(n));
  const res = new Float64Array(n);
  for (let i = 0; i < n; i++) res[i] = r[i]! - Hq[i]!;
  const p = res.slice();
  const Hp = new Float64Array(n);
  let rr = dot(res, res);
  let it = 0;
  while (Math.sqrt(rr) > tol && it < maxIter) {
    apply(p, Hp);
    const pHp = dot(p, Hp);
    if (!(pHp > 0)) break; // breakdown at the rounding floor: report the residual reached
    const a = rr / pHp;
    for (let i = 0; i < n; i++) {
      q[i] = q[i]! + a * p[i]!;
      res[i] = res[i]! - a * Hp[i]!;
    }
    it++;
    // Recompute the true residual (honest certificate, no drift).
    apply(q, Hq);
    for (let i = 0; i < n; i++) res[i] = r[i]! - Hq[i]!;
    const rrNew = dot(res, res);
    const beta = rrNew / rr;
    for (let i = 0; i < n; i++) p[i] = res[i]! + beta * p[i]!;
    rr = rrNew;
  }
  return { q, residual: Math.sqrt(rr), iterations: it };
}

function mean(xs: number[]): number {
  let s = 0;
  for (const x of xs) s += x;
  return s / xs.length;
}

/**
 * The batch loss `mean ½‖x̃_i − t_i‖²` of certified solves `‖x̃_i − x̂_i‖ ≤ ε_i`, with the bracket
 * `± (‖x̃_i − t_i‖ε_i + ε_i²/2)` (`L_g = 1`) and the solves as warm starts `x`; `solve` adds its
 * work to `cost`.
 */
function batchLoss(
  batch: readonly number[],
  epsilon: number,
  warm: WarmState | undefined,
  cost: Cost,
  target: (i: number) => Float64Array,
  solve: (i: number, x0: Float64Array | undefined) => { x: Float64Array; eps: number },
): LossEstimate {
  const out = new Map<number, SampleWarmState>();
  const losses: number[] = [];
  const lo: number[] = [];
  const up: number[] = [];
  const eps: number[] = [];
  for (const i of batch) {
    const w = warm?.get(i);
    const r = solve(i, w?.['x']);
    const t = target(i);
    const gr = r.x.map((v, k) => v - t[k]!);
    const g = 0.5 * dot(gr, gr);
    const slack = norm(gr) * r.eps + 0.5 * r.eps * r.eps;
    losses.push(g);
    lo.push(g - slack);
    up.push(g + slack);
    eps.push(r.eps);
    out.set(i, { ...(w ?? {}), x: r.x });
  }
  const capped = eps.filter((e) => !(e <= epsilon)).length;
  return { loss: mean(losses), lossLower: mean(lo), lossUpper: mean(up), bracket: 'smooth', epsilon: mean(eps), stop: capped ? 'max-iterations' : 'converged', capped, cost, warm: out };
}

// ---------- quadratic bilevel problem ----------

/**
 * Lower level `h_i(x, θ) = ½xᵀAx − xᵀ(b_i − Cθ)`, `x̂_i(θ) = A⁻¹(b_i − Cθ)`; upper level
 * `f(θ) = (1/N) Σ ½‖x̂_i(θ) − t_i‖²`, a convex quadratic in θ with closed-form optimum.
 * Lower level by gradient descent (step 1/L) to `‖∇h‖ ≤ με` (certificate `‖x − x̂‖ ≤ ‖∇h‖/μ`),
 * adjoint `A q = x̃ − t` by CG to `‖Aq − ∇g‖ ≤ δ`; `z = −Cᵀq`, bound
 * `ω = (‖C‖_F/μ)(L_g ε + δ)` (quadratic case of MAID's Theorem 2.1; `‖C‖_F ≥ ‖C‖₂`).
 */
export class QuadraticBilevel implements HypergradientOracle {
  readonly dimension: number;
  readonly numSamples: number;
  readonly d: number;
  readonly A: Float64Array;
  readonly C: Float64Array;
  readonly b: Float64Array[];
  readonly t: Float64Array[];
  readonly mu: number;
  readonly L: number;
  readonly normB: number;
  readonly M: Float64Array; // A⁻¹C, d×n
  readonly rbar: Float64Array; // mean(A⁻¹b_i − t_i)
  readonly MtM: Float64Array;
  readonly thetaStar: Float64Array;
  /** λ_max(MᵀM): Lipschitz constant of ∇f. */
  readonly Lf: number;
  maxLowerIter = 5000;

  constructor(opts: { d?: number; n?: number; N?: number; seed?: number; eigMin?: number; eigMax?: number; targetNoise?: number } = {}) {
    const d = (this.d = opts.d ?? 30);
    const n = (this.dimension = opts.n ?? 5);
    const N = (this.numSamples = opts.N ?? 4);
    const rng = Rng.seeded(opts.seed ?? 1);
    const eMin = opts.eigMin ?? 1;
    const eMax = opts.eigMax ?? 4;
    const Q = randomOrthogonal(d, rng);
    const lam = Array.from({ length: d }, (_, i) => eMin + ((eMax - eMin) * i) / (d - 1));
    this.A = spectral(Q, lam, d);
    const Ainv = spectral(Q, lam.map((l) => 1 / l), d);
    this.mu = eMin;
    this.L = eMax;
    this.C = rng.normalVec(d * n);
    this.normB = norm(this.C);
    this.b = Array.from({ length: N }, () => rng.normalVec(d));
    // Targets t_i = x̂_i(θ_e) + noise·ξ_i (as Quadratic.py: data generated by a true θ_e plus 0.01 noise).
    const thetaE = rng.normalVec(n);
    this.t = [];
    for (let i = 0; i < N; i++) {
      const rhs = this.b[i]!.slice();
      const Ct = matvec(this.C, d, n, thetaE);
      for (let k = 0; k < d; k++) rhs[k] = rhs[k]! - Ct[k]!;
      const x = matvec(Ainv, d, d, rhs);
      this.t.push(x.map((v) => v + (opts.targetNoise ?? 0.01) * rng.normal()));
    }
    // M = A⁻¹ C
    const M = new Float64Array(d * n);
    for (let i = 0; i < d; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += Ainv[i * d + k]! * this.C[k * n + j]!;
      M[i * n + j] = s;
    }
    this.M = M;
    const rbar = new Float64Array(d);
    for (let i = 0; i < N; i++) {
      const c = matvec(Ainv, d, d, this.b[i]!);
      for (let k = 0; k < d; k++) rbar[k] = rbar[k]! + (c[k]! - this.t[i]![k]!) / N;
    }
    this.rbar = rbar;
    const MtM = gram(M, d, n);
    this.MtM = MtM;
    this.thetaStar = cholSolve(MtM, n, matTvec(M, d, n, rbar));
    // Lf by power iteration on the small SPD MᵀM
    let v = new Float64Array(n).fill(1);
    let lmax = 0;
    for (let it = 0; it < 2000; it++) {
      const w = matvec(MtM, n, n, v);
      lmax = norm(w);
      v = w.map((x) => x / lmax);
    }
    this.Lf = lmax;
  }

  /** x̂_i(θ) exactly (A⁻¹ via the closed form M and A⁻¹b_i). */
  exactLower(theta: Float64Array, i: number): Float64Array {
    const d = this.d;
    // Solve A x = b_i − Cθ with Cholesky (exact up to rounding).
    const rhs = this.b[i]!.slice();
    const Ct = matvec(this.C, d, this.dimension, theta);
    for (let k = 0; k < d; k++) rhs[k] = rhs[k]! - Ct[k]!;
    return cholSolve(this.A, d, rhs);
  }

  /** The exact upper-level objective f(θ) = (1/N) Σ ½‖x̂_i − t_i‖². */
  exactLoss(theta: Float64Array): number {
    let f = 0;
    for (let i = 0; i < this.numSamples; i++) {
      const x = this.exactLower(theta, i);
      let s = 0;
      for (let k = 0; k < this.d; k++) s += (x[k]! - this.t[i]![k]!) ** 2;
      f += 0.5 * s;
    }
    return f / this.numSamples;
  }

  /** f(θ) − f* = ½(θ−θ*)ᵀMᵀM(θ−θ*) (exact identity for this quadratic; no cancellation). */
  excess(theta: Float64Array): number {
    const e = theta.map((v, j) => v - this.thetaStar[j]!);
    return 0.5 * dot(e, matvec(this.MtM, this.dimension, this.dimension, e));
  }

  /** ∇f(θ) = MᵀMθ − Mᵀr̄. */
  exactGradient(theta: Float64Array): Float64Array {
    const n = this.dimension;
    const g = matvec(this.MtM, n, n, theta);
    const m = matTvec(this.M, this.d, n, this.rbar);
    for (let j = 0; j < n; j++) g[j] = g[j]! - m[j]!;
    return g;
  }

  private solveLower(theta: Float64Array, i: number, eps: number, x0: Float64Array<ArrayBufferLike> | undefined) {
    const d = this.d;
    const rhs = this.b[i]!.slice();
    const Ct = matvec(this.C, d, this.dimension, theta);
    for (let k = 0; k < d; k++) rhs[k] = rhs[k]! - Ct[k]!;
    const x = x0 ? x0.slice() : new Float64Array(d);
    const grad = new Float64Array(d);
    let it = 0;
    for (;;) {
      matvec(this.A, d, d, x, grad);
      for (let k = 0; k < d; k++) grad[k] = grad[k]! - rhs[k]!;
      const gn = norm(grad);
      if (!(gn > this.mu * eps) || it >= this.maxLowerIter) return { x, epsCert: gn / this.mu, iterations: it };
      for (let k = 0; k < d; k++) x[k] = x[k]! - grad[k]! / this.L;
      it++;
    }
  }

  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    const cost = zeroCost();
    return batchLoss(batch, epsilon, warm, cost, (i) => this.t[i]!, (i, x0) => {
      const r = this.solveLower(theta, i, epsilon, x0);
      cost.iterations += r.iterations;
      cost.gradient += r.iterations + 1;
      return { x: r.x, eps: r.epsCert };
    });
  }

  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    const le = this.loss(theta, batch, tol.epsilon, warm);
    const cost: Cost = { ...le.cost };
    const n = this.dimension;
    const d = this.d;
    const gradient = new Float64Array(n);
    const bounds: number[] = [];
    const deltas: number[] = [];
    const out = new Map<number, SampleWarmState>();
    const applyA = (v: Float64Array, o: Float64Array) => matvec(this.A, d, d, v, o);
    for (const i of batch) {
      const ws = le.warm.get(i)!;
      const x = ws['x']!;
      const epsI = (() => {
        const rhs = this.b[i]!.slice();
        const Ct = matvec(this.C, d, n, theta);
        const g = matvec(this.A, d, d, x);
        for (let j = 0; j < d; j++) g[j] = g[j]! - rhs[j]! + Ct[j]!;
        return norm(g) / this.mu;
      })();
      const gr = x.map((v, j) => v - this.t[i]![j]!);
      const r = cg(applyA, gr, ws['q'] ?? new Float64Array(d), tol.delta, 2000);
      cost.cgIterations += r.iterations;
      cost.hvp += r.iterations + 1;
      const z = matTvec(this.C, d, n, r.q);
      for (let j = 0; j < n; j++) gradient[j] = gradient[j]! - z[j]! / batch.length;
      bounds.push((this.normB / this.mu) * (epsI + r.residual));
      deltas.push(r.residual);
      out.set(i, { x, q: r.q });
    }
    return { ...le, cost, gradient, bound: mean(bounds), delta: mean(deltas), warm: out };
  }
}

// ---------- ridge-weight learning ----------

/**
 * `h_i(x, θ) = ½‖Ax − y_i‖² + ½ Σ_j e^{θ_j} x_j²`, `g_i(x) = ½‖x − x*_i‖²`, `d = 20`, `N = 200`.
 * `A = U diag(s) Vᵀ` with `s ∈ [sMin, sMax]`, so `μ = sMin² + min e^θ` is a certified modulus.
 * Lower level by CG to `‖∇h‖ ≤ με`; adjoint `Hq = x̃ − x*` by CG to `δ`;
 * `z = −(e^θ ⊙ x̃) ⊙ q`; bound (MAID's Theorem 2.1 with `L_{A⁻¹} = 0`, `L_g = 1`, `B = diag(e^θ⊙x)`,
 * `‖B‖ = max e^θ|x̃|`, `L_B = max e^θ`): `ω = (‖B‖ + L_B‖∇g‖)ε/μ + ‖B‖δ/μ + L_B ε²/μ`.
 */
export class RidgeLearning implements HypergradientOracle {
  readonly dimension: number;
  readonly numSamples: number;
  readonly A: Float64Array;
  readonly AtA: Float64Array;
  readonly y: Float64Array[];
  readonly xStar: Float64Array[];
  readonly Aty: Float64Array[];
  readonly sMin: number;

  constructor(opts: { d?: number; N?: number; seed?: number; noise?: number } = {}) {
    const d = (this.dimension = opts.d ?? 20);
    const N = (this.numSamples = opts.N ?? 200);
    const rng = Rng.seeded(opts.seed ?? 5);
    const U = randomOrthogonal(d, rng);
    const V = randomOrthogonal(d, rng);
    const s = Array.from({ length: d }, (_, i) => 0.7 + (0.8 * i) / (d - 1));
    this.sMin = 0.7;
    // A = Uᵀ diag(s) V  (U, V with orthonormal rows)
    const A = new Float64Array(d * d);
    for (let k = 0; k < d; k++) for (let i = 0; i < d; i++) {
      const a = s[k]! * U[k * d + i]!;
      for (let j = 0; j < d; j++) A[i * d + j] = A[i * d + j]! + a * V[k * d + j]!;
    }
    this.A = A;
    this.AtA = gram(A, d, d);
    const scales = Array.from({ length: d }, (_, j) => 0.3 + (1.7 * j) / (d - 1));
    const noise = opts.noise ?? 0.5;
    this.xStar = [];
    this.y = [];
    this.Aty = [];
    for (let i = 0; i < N; i++) {
      const xs = new Float64Array(d).map((_, j) => scales[j]! * rng.normal());
      const yi = matvec(A, d, d, xs);
      for (let k = 0; k < d; k++) yi[k] = yi[k]! + noise * rng.normal();
      this.xStar.push(xs);
      this.y.push(yi);
      this.Aty.push(matTvec(A, d, d, yi));
    }
  }

  private hessian(theta: Float64Array): Float64Array {
    const d = this.dimension;
    const H = this.AtA.slice();
    for (let j = 0; j < d; j++) H[j * d + j] = H[j * d + j]! + Math.exp(theta[j]!);
    return H;
  }

  /** Exact F(θ) and ∇F(θ) over all samples (Cholesky solves). */
  exact(theta: Float64Array, batch?: readonly number[]): { loss: number; gradient: Float64Array } {
    const d = this.dimension;
    const H = this.hessian(theta);
    const idx = batch ?? Array.from({ length: this.numSamples }, (_, i) => i);
    let f = 0;
    const g = new Float64Array(d);
    for (const i of idx) {
      const x = cholSolve(H, d, this.Aty[i]!);
      const gr = x.map((v, j) => v - this.xStar[i]![j]!);
      f += 0.5 * dot(gr, gr);
      const q = cholSolve(H, d, gr);
      for (let j = 0; j < d; j++) g[j] = g[j]! - (Math.exp(theta[j]!) * x[j]! * q[j]!);
    }
    return { loss: f / idx.length, gradient: g.map((v) => v / idx.length) };
  }

  private mu(theta: Float64Array): number {
    let m = Infinity;
    for (const t of theta) m = Math.min(m, Math.exp(t));
    return this.sMin * this.sMin + m;
  }

  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    const d = this.dimension;
    const H = this.hessian(theta);
    const apply = (v: Float64Array, o: Float64Array) => matvec(H, d, d, v, o);
    const mu = this.mu(theta);
    const cost = zeroCost();
    return batchLoss(batch, epsilon, warm, cost, (i) => this.xStar[i]!, (i, x0) => {
      const r = cg(apply, this.Aty[i]!, x0 ?? new Float64Array(d), mu * epsilon, 1000);
      cost.iterations += r.iterations;
      return { x: r.q, eps: r.residual / mu };
    });
  }

  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    const d = this.dimension;
    const le = this.loss(theta, batch, tol.epsilon, warm);
    const H = this.hessian(theta);
    const apply = (v: Float64Array, o: Float64Array) => matvec(H, d, d, v, o);
    const mu = this.mu(theta);
    const cost: Cost = { ...le.cost };
    const et = theta.map((t) => Math.exp(t));
    let LB = 0;
    for (const v of et) LB = Math.max(LB, v);
    const gradient = new Float64Array(d);
    const bounds: number[] = [];
    const deltas: number[] = [];
    const out = new Map<number, SampleWarmState>();
    for (const i of batch) {
      const x = le.warm.get(i)!['x']!;
      // certified ε of this sample (recomputed from the residual)
      const res = matvec(H, d, d, x);
      for (let j = 0; j < d; j++) res[j] = res[j]! - this.Aty[i]![j]!;
      const e = norm(res) / mu;
      const gr = x.map((v, j) => v - this.xStar[i]![j]!);
      const r = cg(apply, gr, warm?.get(i)?.['q'] ?? new Float64Array(d), tol.delta, 1000);
      cost.cgIterations += r.iterations;
      let nB = 0;
      for (let j = 0; j < d; j++) {
        nB = Math.max(nB, et[j]! * Math.abs(x[j]!));
        gradient[j] = gradient[j]! - (et[j]! * x[j]! * r.q[j]!) / batch.length;
      }
      bounds.push(((nB + LB * norm(gr)) * e) / mu + (nB * r.residual) / mu + (LB * e * e) / mu);
      deltas.push(r.residual);
      out.set(i, { x, q: r.q });
    }
    return { ...le, cost, gradient, bound: mean(bounds), delta: mean(deltas), warm: out };
  }
}

/** Records every oracle call (for warm-start checks); passes everything through unchanged. */
export class SpyOracle implements HypergradientOracle {
  readonly calls: { kind: 'loss' | 'evaluate'; theta: Float64Array; batch: number[]; warmIn: WarmState | undefined; warmOut: WarmState }[] = [];
  constructor(readonly inner: HypergradientOracle) {}
  get dimension() {
    return this.inner.dimension;
  }
  get numSamples() {
    return this.inner.numSamples;
  }
  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    const r = this.inner.loss(theta, batch, epsilon, warm);
    this.calls.push({ kind: 'loss', theta: theta.slice(), batch: [...batch], warmIn: warm, warmOut: r.warm });
    return r;
  }
  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    const r = this.inner.evaluate(theta, batch, tol, warm);
    this.calls.push({ kind: 'evaluate', theta: theta.slice(), batch: [...batch], warmIn: warm, warmOut: r.warm });
    return r;
  }
  /** The batches of the `evaluate` calls, in order. */
  evaluatedBatches(): number[][] {
    return this.calls.filter((c) => c.kind === 'evaluate').map((c) => c.batch);
  }
}
