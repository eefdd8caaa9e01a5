/**
 * A-posteriori certificates of saddle problems: the distance bounds of arXiv 2412.06436, Lemma 2
 * (eqs. 6a/6b, with the min-norm subgradient extension for an indicator in `f*`) and the
 * primal-dual gap, which also bounds the distances (docs/math/certificates.md#gap-based-distances).
 * @module
 */
import { shapeSize, type Certificate, type Conjugable, type Cost, type Functional, type SaddleProblem, type Vec } from '@bilevel/core';
import { gradientOf, minNormOf, norm2, type GradientFn, type MinNormFn } from './internal.js';

/**
 * Certificate of a pair `(x, y)` for `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)`:
 *
 * - `epsX ≥ ‖x − x̂‖`: `‖s_x‖/μ_g` with `s_x = ∇g(x) + Kᵀ∇f(Kx)`, or the min-norm element of
 *   `∂g(x) + Kᵀ∇f(Kx)` when `g` has `minNormSubgradient` (eq. 6a: Lemma 1 on the μ_g-strongly
 *   convex primal `P = g + f∘K`); where `f` has no gradient (TV), the gap bound `√(2·gap/μ_g)`
 *   (`P(x) − P(x̂) ≥ μ_g/2‖x − x̂‖²` and `P(x̂) ≥ −D(y)`), which needs only values;
 * - `epsY ≥ ‖y − ŷ‖`: `‖s_y‖/μ_f*` with `s_y` the min-norm element of `∂f*(y) − K∇g*(−Kᵀy)`
 *   (eq. 6b: Lemma 1 on the μ_f*-strongly convex dual `D = f* + g*∘(−Kᵀ)`), else `√(2·gap/μ_f*)`;
 * - `distance = max(epsX, epsY)` (stop when both are `≤ ε`, as in the paper); when `μ_f* = 0` the
 *   dual solution need not be unique and `distance = epsX` bounds the primal iterate only (and
 *   `epsY` when `μ_g = 0`);
 * - `gap = P(x) + D(y) = g(x) + f(Kx) + f*(y) + g*(−Kᵀy) ≥ 0`;
 * - `primalObjective = P(x)`, `dualObjective = −D(y)` (so `gap = primalObjective − dualObjective`).
 *
 * `f` and `g*` are `problem.f`, `problem.gStar` or else the conjugates of `f*` and `g` (when they
 * are `Conjugable`). A value is `Infinity` when a capability it needs is missing (values,
 * gradients, min-norm subgradients, a positive modulus). The gap bounds carry an allowance for
 * rounding (see `saddleDistances`), so they level off near `√(32u√(n+m)(|P| + |D|)/μ)`.
 */
export interface SaddleCertificate extends Certificate {
  /** `max(epsX, epsY)`. */
  readonly distance: number;
  /** Primal distance bound (6a). */
  readonly epsX: number;
  /** Dual distance bound (6b). */
  readonly epsY: number;
  /** `‖s_x‖` (unscaled 6a residual). */
  readonly primalStationarity: number;
  /** `‖s_y‖` (unscaled 6b residual). */
  readonly dualStationarity: number;
  /** Primal-dual gap `P(x) + D(y)`. */
  readonly gap: number;
  /** `P(x) = g(x) + f(Kx)`. */
  readonly primalObjective: number;
  /** `−D(y) = −f*(y) − g*(−Kᵀy)`. */
  readonly dualObjective: number;
}

/** Preallocated arrays of {@link saddleCertificate} (two per space) and the resolved `f`, `g*`. */
export interface SaddleCertificateWorkspace {
  /** `problem.f`, or the conjugate of `f*` (for values and gradients). */
  readonly f: (Functional & { gradient?: (x: Vec, out: Vec) => Vec }) | undefined;
  /** `problem.gStar`, or the conjugate of `g`. */
  readonly gStar: (Functional & { gradient?: (x: Vec, out: Vec) => Vec }) | undefined;
  /** `K x` when not supplied (range). */
  readonly kx: Vec;
  /** `Kᵀ y` when not supplied (domain). */
  readonly kty: Vec;
  /** Domain scratch. */
  readonly d1: Vec;
  /** Domain scratch. */
  readonly d2: Vec;
  /** Range scratch. */
  readonly r1: Vec;
  /** Range scratch. */
  readonly r2: Vec;
}

/** The conjugate of `h` when it has one, else `undefined`. */
function conjugateOf(h: object): Functional | undefined {
  return typeof (h as Partial<Conjugable>).conjugate === 'function' ? (h as Conjugable).conjugate() : undefined;
}

/**
 * Allocate the workspace of {@link saddleCertificate} for `problem` (once; reuse it), resolving
 * `f` and `g*` from the conjugates of `f*` and `g` when the problem does not give them.
 */
export function createSaddleCertificateWorkspace(problem: SaddleProblem): SaddleCertificateWorkspace {
  const n = shapeSize(problem.K.domain);
  const m = shapeSize(problem.K.range);
  return {
    f: problem.f ?? conjugateOf(problem.fStar),
    gStar: problem.gStar ?? conjugateOf(problem.g),
    kx: new Float64Array(m),
    kty: new Float64Array(n),
    d1: new Float64Array(n),
    d2: new Float64Array(n),
    r1: new Float64Array(m),
    r2: new Float64Array(m),
  };
}

/** Options of {@link saddleCertificate}. */
export interface SaddleCertificateOptions {
  /** Precomputed `K x` (saves one `apply`); not mutated. */
  readonly kx?: Vec;
  /** Precomputed `Kᵀ y` (saves one `adjoint`); not mutated. */
  readonly kty?: Vec;
  /** Counters to charge the operator applications and gradients to. */
  readonly cost?: Cost;
  /** Override `μ_g` (default `problem.g.strongConvexity`). */
  readonly muG?: number;
  /** Override `μ_f*` (default `problem.fStar.strongConvexity`). */
  readonly muFStar?: number;
  /** Also evaluate the gap and objectives (default true; needs `problem.f`, `problem.gStar` values). */
  readonly gap?: boolean;
}

/**
 * Certificate of `(x, y)` for a saddle problem (arXiv 2412.06436, Lemma 2, eqs. 6a/6b; the
 * min-norm extension for nonsmooth `f*`: docs/math/certificates.md#min-norm-subgradients): see
 * {@link SaddleCertificate} for the formulas. Exported (with a preallocated workspace) so the
 * piggyback estimator certifies its iterates the same way.
 *
 * Cost: `K x` and `Kᵀ y` unless supplied, then one `adjoint` for (6a) and one `apply` for (6b);
 * gradients of `f`, `g` (or its min-norm subgradient), `g*`. Allocates only the result object.
 */
export function saddleCertificate(
  problem: SaddleProblem,
  x: Vec,
  y: Vec,
  ws: SaddleCertificateWorkspace,
  options: SaddleCertificateOptions = {},
): SaddleCertificate {
  const { K, g, fStar } = problem;
  const { f, gStar } = ws;
  const n = x.length;
  const m = y.length;
  const cost = options.cost;
  const muG = options.muG ?? g.strongConvexity ?? 0;
  const muFStar = options.muFStar ?? fStar.strongConvexity ?? 0;
  let kx = options.kx;
  if (!kx) {
    kx = K.apply(x, ws.kx);
    if (cost) cost.apply++;
  }
  let kty = options.kty;
  if (!kty) {
    kty = K.adjoint(y, ws.kty);
    if (cost) cost.adjoint++;
  }

  // (6a): s_x = ∇g(x) + Kᵀ∇f(Kx), or min-norm element of ∂g(x) + Kᵀ∇f(Kx).
  let primalStationarity = Infinity;
  const gradF = gradientOf(f);
  const gradG = gradientOf(g);
  const minNormG = minNormOf(g);
  if (gradF && (minNormG || gradG)) {
    gradF(kx, ws.r1);
    K.adjoint(ws.r1, ws.d1);
    if (cost) {
      cost.gradient++;
      cost.adjoint++;
    }
    primalStationarity = stationarity(x, ws.d1, minNormG, gradG, ws.d2, cost);
  }

  // (6b): s_y = min-norm element of ∂f*(y) − K∇g*(−Kᵀy).
  let dualStationarity = Infinity;
  const gradGStar = gradientOf(gStar);
  const minNormFStar = minNormOf(fStar);
  const gradFStar = gradientOf(fStar);
  const negKty = ws.d1;
  for (let i = 0; i < n; i++) negKty[i] = -kty[i]!;
  if (gradGStar && (minNormFStar || gradFStar)) {
    gradGStar(negKty, ws.d2);
    K.apply(ws.d2, ws.r1);
    if (cost) {
      cost.gradient++;
      cost.apply++;
    }
    const shift = ws.r1;
    for (let i = 0; i < m; i++) shift[i] = -shift[i]!;
    dualStationarity = stationarity(y, shift, minNormFStar, gradFStar, ws.r2, cost);
  }

  // Gap: P(x) + D(y) (ws.d1 still holds −Kᵀy).
  let primalObjective = NaN;
  let dualObjective = NaN;
  if (options.gap !== false) {
    if (f) primalObjective = g.value(x) + f.value(kx);
    if (gStar) dualObjective = -fStar.value(y) - gStar.value(negKty);
  }
  return saddleDistances({ primalStationarity, dualStationarity, primalObjective, dualObjective, muG, muFStar, size: n + m });
}

/**
 * `‖s‖` of the residual of (6a) or (6b) at `z`: `s` the min-norm element of `shift + ∂h(z)` when
 * `h` has `minNormSubgradient`, else `s = shift + ∇h(z)` (one gradient, charged to `cost`),
 * written into `out`.
 */
function stationarity(z: Vec, shift: Vec, minNorm: MinNormFn | undefined, gradient: GradientFn | undefined, out: Vec, cost: Cost | undefined): number {
  if (minNorm) {
    minNorm(z, shift, out);
  } else {
    gradient!(z, out);
    if (cost) cost.gradient++;
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + shift[i]!;
  }
  return norm2(out.length, out);
}

/** The measured parts of a Lemma 2 certificate (what {@link saddleDistances} turns into distances). */
export interface SaddleCertificateParts {
  /** `‖s_x‖` (Infinity when not available). */
  readonly primalStationarity: number;
  /** `‖s_y‖` (Infinity when not available). */
  readonly dualStationarity: number;
  /** `P(x)` (NaN when not evaluated). */
  readonly primalObjective: number;
  /** `−D(y)` (NaN when not evaluated). */
  readonly dualObjective: number;
  /** `μ_g`. */
  readonly muG: number;
  /** `μ_f*`. */
  readonly muFStar: number;
  /** `n + m`, the number of summed terms behind the objectives. */
  readonly size: number;
}

/**
 * Safety factor of the rounding allowance of the gap, `16·u·√size·(|P| + |D|)`: the gap is a
 * difference of two sums that can cancel internally, so the allowance is a multiple of the
 * probabilistic model's `u·√size` (Higham, *Accuracy and Stability of Numerical Algorithms*, §2.8).
 */
const GAP_ROUNDING = 16;

/**
 * The certificate from its measured parts (docs/math/certificates.md#gap-based-distances):
 * `ε_x`, `ε_y` are the stationarity bounds (Lemma 2) where they exist, else the gap bounds
 * `√(2·gap⁺/μ)` with `gap⁺ = max(gap, 0) + 16u·√size·(|P| + |D|)` (rounding allowance: near the
 * solution the gap is a difference of nearly equal numbers, so the stationarity bounds, which
 * have no such cancellation, are preferred); `distance` as in {@link SaddleCertificate}. Shared
 * by the generic and the fused PDHG certificates.
 */
export function saddleDistances(p: SaddleCertificateParts): SaddleCertificate {
  const { primalStationarity, dualStationarity, primalObjective, dualObjective, muG, muFStar } = p;
  const gap = Number.isNaN(primalObjective) || Number.isNaN(dualObjective) ? Infinity : primalObjective - dualObjective;
  const slack = GAP_ROUNDING * Number.EPSILON * Math.sqrt(p.size) * (Math.abs(primalObjective) + Math.abs(dualObjective));
  const gapPlus = gap < Infinity ? Math.max(gap, 0) + slack : Infinity;
  const bound = (stationarity: number, mu: number): number => {
    if (!(mu > 0)) return Infinity;
    const s = stationarity / mu;
    return s < Infinity ? s : Math.sqrt((2 * gapPlus) / mu);
  };
  const epsX = bound(primalStationarity, muG);
  const epsY = bound(dualStationarity, muFStar);
  const distance = muFStar > 0 && muG > 0 ? Math.max(epsX, epsY) : muG > 0 ? epsX : muFStar > 0 ? epsY : Infinity;
  return {
    distance: Number.isNaN(distance) ? Infinity : distance,
    epsX,
    epsY,
    primalStationarity,
    dualStationarity,
    gap: gap < Infinity ? gap : Infinity,
    primalObjective,
    dualObjective,
  };
}
