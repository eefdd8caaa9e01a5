/**
 * The conjugate of the (group) Huber function, `f*(y) = Σ_b Σ_{j∈b} ε_b/(2α_b)‖y_j‖² +
 * ι{‖y_j‖ ≤ α_b}`: the dual term of Huber-TV and Fields of Experts in PDHG
 * (docs/math/saddle-problem.md#instances-in-the-library, docs/math/piggyback.md#prox-jacobians).
 * @module
 */
import { z, type Described, type Vec } from '@bilevel/core';
import type { Conjugable, LearnableFunctional, ProxDifferentiable, Subdifferentiable } from '@bilevel/core';
import { FEASIBILITY_RTOL, groupBallMinNorm, groupDot, groupRadialJvp, groupScale, groupNorm, groupSumSq } from './groups.js';
import { GroupedFunctional, groupedOptionsShape, type GroupedOptions } from './grouped.js';
import { GroupHuber } from './huber.js';
import { parseOptions, positiveOrPerBlock } from '@bilevel/core';

/**
 * Options of {@link HuberConjugate}. The argument is the dual variable (e.g. `[2, C, H, W]`);
 * `groupSize` 1 is anisotropic, 2 on `[2, C, H, W]` gives the isotropic (per-pixel) dual ball,
 * `2C` the colour-vectorial one.
 */
export interface HuberConjugateOptions extends GroupedOptions {
  /** Weight `α > 0` of the primal Huber function (the ball radius), one value or one per block (default 1). */
  readonly alpha?: number | ArrayLike<number>;
  /** Smoothing `ε > 0` of the primal Huber function, one value or one per block (default 1). */
  readonly epsilon?: number | ArrayLike<number>;
}

const schema = z.strictObject({
  ...groupedOptionsShape,
  alpha: positiveOrPerBlock.optional(),
  epsilon: positiveOrPerBlock.optional(),
});

/**
 * `f*(y) = Σ_b Σ_{j∈b} ε_b/(2α_b)‖y_j‖² + ι{‖y_j‖ ≤ α_b}`, the convex conjugate of
 * `f = α Huber_ε` (anisotropic for `groupSize` 1, isotropic/grouped otherwise). Parameters
 * `[α_0 … α_{B−1}, ε_0 … ε_{B−1}]`: the positive values themselves, so `proxParamVjp` is taken
 * with respect to `α` and `ε` (the regularizers map their log-parameters onto these by the chain
 * rule). Values with `‖y_j‖ ≤ α(1 + 1e-12)` count as feasible.
 *
 * Prox and Jacobian (docs/math/piggyback.md#prox-jacobians, rows "anisotropic Huber" and
 * "isotropic"): with `c = 1/(1 + σε/α) = α/(α + σε)` and `q_j = c w_j`,
 * - `prox_{σf*}(w)_j = q_j · min(1, α/‖q_j‖) = min(c, α/‖w_j‖) w_j`;
 * - inactive (`c‖w_j‖ ≤ α`): `D·u = c u`; active: `D·u = (α/r)(u − w⟨w,u⟩/r²)`, `r = ‖w_j‖`.
 *
 * Strong convexity `min_b ε_b/α_b`; conjugate: {@link GroupHuber} with the same parameters,
 * smooth with `∇f(t) = α t/max(ε, ‖t‖)` (docs/math/certificates.md#generalised-hessian-at-the-pair).
 */
export class HuberConjugate extends GroupedFunctional implements ProxDifferentiable, Conjugable, Subdifferentiable, LearnableFunctional {
  constructor(options: HuberConjugateOptions) {
    const o = parseOptions(schema, options, 'HuberConjugate');
    super('HuberConjugate', o.shape, o.groupSize ?? 1, ['alpha', 'epsilon'], [o.alpha ?? 1, o.epsilon ?? 1]);
  }

  /** The functional as data (`huber-conjugate`, live `α`, `ε` per block), for the kernel registry of `@bilevel/core`. */
  describe(): Described<'huber-conjugate'> {
    const { groups, groupSize, blocks } = this.layout;
    return { kind: 'huber-conjugate', size: groups * groupSize, groupSize, alpha: this.params.subarray(0, blocks), epsilon: this.params.subarray(blocks) };
  }

  /** Modulus of strong convexity, `min_b ε_b/α_b` (docs/math/error-bound.md#practical-constants). */
  get strongConvexity(): number {
    return 1 / this.maxBlockRatio(0, 1);
  }

  /** `Σ ε/(2α)‖y_j‖²` if every `‖y_j‖ ≤ α(1 + 1e-12)`, else `+∞`. */
  value(y: Vec): number {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    let total = 0;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const limit = (alpha * (1 + FEASIBILITY_RTOL)) ** 2;
      let s = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r2 = groupSumSq(y, j, N, G);
        if (r2 > limit) return Infinity;
        s += r2;
      }
      total += (this.params[B + b]! / (2 * alpha)) * s;
    }
    return total;
  }

  /** `out_j = min(c, α/‖w_j‖) w_j` with `c = α/(α + σε)`; `out` may alias `w`. */
  prox(w: Vec, sigma: number, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const c = alpha / (alpha + sigma * this.params[B + b]!);
      for (let j = j0; j < j0 + M; j++) groupScale(w, j, N, G, Math.min(c, alpha / groupNorm(w, j, N, G)), out);
    }
    return out;
  }

  /** `c u` on inactive groups, `(α/r)(u − w⟨w,u⟩/r²)` on active ones; `out` may alias `dw`. */
  proxJvp(w: Vec, sigma: number, dw: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const c = alpha / (alpha + sigma * this.params[B + b]!);
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(w, j, N, G);
        if (c * r <= alpha) groupScale(dw, j, N, G, c, out);
        else groupRadialJvp(w, dw, j, N, G, alpha / r, -alpha / (r * r * r), out);
      }
    }
    return out;
  }

  /**
   * Generalised Hessian at the graph point `(y, u)`, `u ∈ ∂f*(y)` (in a saddle problem `u = Kx`;
   * docs/math/certificates.md#generalised-hessian-at-the-pair): the pseudo-inverse of
   * `∇²f(u)`, `f = α Huber_ε`. Per group, inactive (`‖u_j‖ ≤ ε`): `(ε/α) v`; active:
   * `(‖u_j‖/α)(I − ûûᵀ) v` (0 for `groupSize` 1: the radial direction is fixed by the
   * constraint). This is what the piggyback prox Jacobian converges to: on an active group
   * at `w = ŷ + σKx̂` its tangential factor is `α/(α + σ‖û‖) = (1 + σ‖û‖/α)⁻¹`.
   *
   * Without `pair` the active set is read off `y` (`‖y_j‖ ≥ α(1 − 1e-12)`) with the curvature
   * `ε/α` of the quadratic part on the tangent space: exact for `groupSize` 1, not for isotropic
   * groups, whose tangential curvature `‖u_j‖/α` `y` does not determine.
   */
  hvp(y: Vec, v: Vec, out: Vec, pair?: Vec): Vec {
    return pair ? this.atPair(pair, v, out, false) : this.projectFree(y, v, out, (alpha, eps) => eps / alpha);
  }

  /**
   * Generalised inverse at `(y, u)`: `∇²f(u) v`, i.e. `(α/ε) v` on inactive groups and
   * `(α/‖u_j‖)(I − ûûᵀ) v` on active ones (see {@link HuberConjugate.hvp}; without `pair`,
   * `(α/ε) P v` with the active set read off `y`).
   */
  hvpInverse(y: Vec, v: Vec, out: Vec, pair?: Vec): Vec {
    return pair ? this.atPair(pair, v, out, true) : this.projectFree(y, v, out, (alpha, eps) => alpha / eps);
  }

  /**
   * Lipschitz constants of `(y, u) ↦ ∇²f(u)` on a fixed active set: 0 in `y`; in `u`, 0 for
   * `groupSize` 1 and `2·max_b α_b/ε_b²` for groups, since for `M(u) = α(I − ûûᵀ)/‖u‖` and
   * `‖u‖, ‖v‖ ≥ ε`: `|1/‖u‖ − 1/‖v‖| ≤ ‖u − v‖/ε²` and `‖ûûᵀ − v̂v̂ᵀ‖ = sin∠(u, v) ≤ ‖u − v‖/ε`
   * (docs/math/error-bound.md#constants-at-the-pair).
   */
  get inverseHessianLipschitz(): { readonly point: number; readonly pair: number } {
    if (this.layout.groupSize === 1) return { point: 0, pair: 0 };
    const B = this.layout.blocks;
    let pair = 0;
    for (let b = 0; b < B; b++) pair = Math.max(pair, (2 * this.params[b]!) / this.params[B + b]! ** 2);
    return { point: 0, pair };
  }

  /** `∇²f(u) v` (`inverse`) or its pseudo-inverse applied to `v`, group by group. */
  private atPair(u: Vec, v: Vec, out: Vec, inverse: boolean): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(u, j, N, G);
        if (r <= eps) groupScale(v, j, N, G, inverse ? alpha / eps : eps / alpha, out);
        else if (inverse) groupRadialJvp(u, v, j, N, G, alpha / r, -alpha / (r * r * r), out);
        else groupRadialJvp(u, v, j, N, G, r / alpha, -1 / (alpha * r), out);
      }
    }
    return out;
  }

  /** `(α/ε)^{±1} P v` with the active set read off `y` (the default without a pair). */
  private projectFree(y: Vec, v: Vec, out: Vec, factor: (alpha: number, eps: number) => number): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const c = factor(alpha, this.params[B + b]!);
      const active = (alpha * (1 - FEASIBILITY_RTOL)) ** 2;
      for (let j = j0; j < j0 + M; j++) {
        const r2 = groupSumSq(y, j, N, G);
        if (r2 < active) groupScale(v, j, N, G, c, out);
        else groupRadialJvp(y, v, j, N, G, c, -c / r2, out);
      }
    }
    return out;
  }

  /** `∂_α f* = −ε/(2α²) Σ‖y_j‖²`, `∂_ε f* = Σ‖y_j‖²/(2α)` (at feasible `y`). */
  valueParamGrad(y: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      let s = 0;
      for (let j = j0; j < j0 + M; j++) s += groupSumSq(y, j, N, G);
      grad[b] = grad[b]! - (scale * eps * s) / (2 * alpha * alpha);
      grad[B + b] = grad[B + b]! + (scale * s) / (2 * alpha);
    }
  }

  /**
   * `∇_θ⟨prox_{σf*}(w), v⟩`. Inactive, `p = αw/(α+σε)`: `∂p/∂α = σε w/(α+σε)²`,
   * `∂p/∂ε = −σα w/(α+σε)²`; active, `p = αw/‖w‖`: `∂p/∂α = w/‖w‖`, `∂p/∂ε = 0`.
   */
  proxParamVjp(w: Vec, sigma: number, v: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      const d = alpha + sigma * eps;
      const c = alpha / d;
      let sa = 0;
      let se = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(w, j, N, G);
        const wv = groupDot(w, v, j, N, G);
        if (c * r <= alpha) {
          sa += (sigma * eps * wv) / (d * d);
          se -= (sigma * alpha * wv) / (d * d);
        } else sa += wv / r;
      }
      grad[b] = grad[b]! + scale * sa;
      grad[B + b] = grad[B + b]! + scale * se;
    }
  }

  /**
   * Min-norm element of `shift + ∂f*(y) = shift + (ε/α)y + N_{‖·‖≤α}(y)`: the ball rule of
   * `groupBallMinNorm` applied to `shift + (ε/α) y` (docs/math/certificates.md#min-norm-subgradients); `+∞` on infeasible
   * groups. `out` may alias `shift`.
   */
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const k = this.params[B + b]! / alpha;
      for (let j = j0; j < j0 + M; j++) {
        for (let m = 0, i = j; m < G; m++, i += N) out[i] = shift[i]! + k * y[i]!;
        groupBallMinNorm(y, out, j, N, G, alpha, out);
      }
    }
    return out;
  }

  /** `f = α Huber_ε` ({@link GroupHuber}, same groups and parameters). */
  conjugate(): GroupHuber {
    const B = this.layout.blocks;
    return new GroupHuber({
      shape: this.shape,
      groupSize: this.layout.groupSize,
      alpha: this.params.slice(0, B),
      epsilon: this.params.slice(B),
    });
  }
}
