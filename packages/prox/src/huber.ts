/**
 * The (group) Huber function `f(z) = Σ_b α_b Σ_{j∈b} H_{ε_b}(‖z_j‖)`, with
 * `H_ε(r) = r²/(2ε)` for `r ≤ ε` and `r − ε/2` for `r > ε` (Huber 1964): the smooth potential of
 * Huber-TV and of the saddle form of Fields of Experts.
 * @module
 */
import { z, type Vec } from '@bilevel/core';
import type {
  Conjugable,
  LearnableFunctional,
  ProxDifferentiable,
  Subdifferentiable,
  TwiceSmooth,
} from '@bilevel/core';
import { groupCombine, groupDot, groupRadialJvp, groupScale, groupNorm, groupSumSq } from './groups.js';
import { elementwiseOptions, GroupedFunctional, groupedOptionsShape, type GroupedOptions } from './grouped.js';
import { HuberConjugate } from './huber-conjugate.js';
import { parseOptions, positiveOrPerBlock } from '@bilevel/core';

/** Options of {@link GroupHuber}. */
export interface GroupHuberOptions extends GroupedOptions {
  /** Weight `α > 0`, one value or one per block of consecutive groups (default 1). */
  readonly alpha?: number | ArrayLike<number>;
  /** Smoothing `ε > 0`, one value or one per block (default 1). */
  readonly epsilon?: number | ArrayLike<number>;
}

const huberSchema = z.strictObject({
  ...groupedOptionsShape,
  alpha: positiveOrPerBlock.optional(),
  epsilon: positiveOrPerBlock.optional(),
});

/**
 * The group Huber function `f(z) = Σ_b α_b Σ_{j∈b} H_{ε_b}(‖z_j‖)`. Parameters
 * `[α_0 … α_{B−1}, ε_0 … ε_{B−1}]` (the positive values themselves).
 *
 * - gradient `∇f(z)_j = α z_j / max(ε, ‖z_j‖)` (docs/math/certificates.md#generalised-hessian-at-the-pair), Lipschitz
 *   constant `max_b α_b/ε_b`; Hessian `(α/ε) I` inside, `(α/r)(I − z zᵀ/r²)` outside (a.e.);
 * - prox: `p_j = v_j/(1 + τα/ε)` if `‖v_j‖ ≤ ε + τα`, else `(1 − τα/‖v_j‖) v_j`, i.e.
 *   `p_j = max(ε/(ε+τα), 1 − τα/‖v_j‖) v_j`;
 * - conjugate: {@link HuberConjugate} `ε/(2α)‖y‖² + ι{‖y_j‖ ≤ α}` with the same parameters.
 */
export class GroupHuber
  extends GroupedFunctional
  implements ProxDifferentiable, TwiceSmooth, Conjugable, Subdifferentiable, LearnableFunctional
{
  /** Not strongly convex. */
  readonly strongConvexity = 0;

  constructor(options: GroupHuberOptions) {
    const o = parseOptions(huberSchema, options, 'GroupHuber');
    super('GroupHuber', o.shape, o.groupSize ?? 1, ['alpha', 'epsilon'], [o.alpha ?? 1, o.epsilon ?? 1]);
  }

  /** Lipschitz constant of the gradient, `max_b α_b/ε_b`. */
  get lipschitz(): number {
    return this.maxBlockRatio(0, 1);
  }

  /** `Σ α H_ε(‖z_j‖)`. */
  value(z: Vec): number {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    let total = 0;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const eps = this.params[B + b]!;
      let s = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r2 = groupSumSq(z, j, N, G);
        s += r2 <= eps * eps ? r2 / (2 * eps) : Math.sqrt(r2) - eps / 2;
      }
      total += this.params[b]! * s;
    }
    return total;
  }

  /** `out_j = α z_j / max(ε, ‖z_j‖)`. */
  gradient(z: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      for (let j = j0; j < j0 + M; j++) groupScale(z, j, N, G, alpha / Math.max(eps, groupNorm(z, j, N, G)), out);
    }
    return out;
  }

  /** `∇²f(z)·v`: `(α/ε) v_j` where `‖z_j‖ ≤ ε`, `(α/r)(v_j − z_j⟨z_j,v_j⟩/r²)` elsewhere. */
  hvp(z: Vec, v: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(z, j, N, G);
        if (r <= eps) groupScale(v, j, N, G, alpha / eps, out);
        else groupRadialJvp(z, v, j, N, G, alpha / r, -alpha / (r * r * r), out);
      }
    }
    return out;
  }

  /** `out_j = max(ε/(ε+τα), 1 − τα/‖v_j‖) v_j`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const ta = tau * this.params[b]!;
      const eps = this.params[B + b]!;
      const inner = eps / (eps + ta);
      for (let j = j0; j < j0 + M; j++) groupScale(v, j, N, G, Math.max(inner, 1 - ta / groupNorm(v, j, N, G)), out);
    }
    return out;
  }

  /**
   * `ε/(ε+τα) u` where `‖v_j‖ ≤ ε + τα`; `(1 − τα/r) u + (τα/r³) v⟨v,u⟩` elsewhere.
   * `out` may alias `dv`.
   */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const ta = tau * this.params[b]!;
      const eps = this.params[B + b]!;
      const inner = eps / (eps + ta);
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        if (r <= eps + ta) groupScale(dv, j, N, G, inner, out);
        else groupRadialJvp(v, dv, j, N, G, 1 - ta / r, ta / (r * r * r), out);
      }
    }
    return out;
  }

  /**
   * `∂f/∂α_b = Σ H_ε(‖z_j‖)`; `∂f/∂ε_b = −α Σ (‖z_j‖²/(2ε²) if ‖z_j‖ ≤ ε, else 1/2)`.
   */
  valueParamGrad(z: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      let sa = 0;
      let se = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r2 = groupSumSq(z, j, N, G);
        if (r2 <= eps * eps) {
          sa += r2 / (2 * eps);
          se -= r2 / (2 * eps * eps);
        } else {
          sa += Math.sqrt(r2) - eps / 2;
          se -= 0.5;
        }
      }
      grad[b] = grad[b]! + scale * sa;
      grad[B + b] = grad[B + b]! + scale * alpha * se;
    }
  }

  /**
   * `∇_θ⟨∇f(z), w⟩`: `∂/∂α = Σ ⟨z_j,w_j⟩/max(ε, r)`; `∂/∂ε = −α Σ_{r<ε} ⟨z_j,w_j⟩/ε²`.
   */
  gradParamVjp(z: Vec, w: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      let sa = 0;
      let se = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(z, j, N, G);
        const d = groupDot(z, w, j, N, G);
        if (r <= eps) {
          sa += d / eps;
          se -= (alpha * d) / (eps * eps);
        } else sa += d / r;
      }
      grad[b] = grad[b]! + scale * sa;
      grad[B + b] = grad[B + b]! + scale * se;
    }
  }

  /** `out = ∂_θ∇f(z)·dθ`: `dα_b z_j/max(ε, r) − dε_b α z_j/ε²·[r < ε]`. */
  gradParamJvp(z: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      const da = dTheta[b]!;
      const de = dTheta[B + b]!;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(z, j, N, G);
        groupScale(z, j, N, G, r <= eps ? da / eps - (de * alpha) / (eps * eps) : da / r, out);
      }
    }
    return out;
  }

  /**
   * `∇_θ⟨prox_{τf}(v), w⟩`. Inside (`r ≤ ε+τα`), `p = εv/(ε+τα)`:
   * `∂p/∂α = −τε v/(ε+τα)²`, `∂p/∂ε = τα v/(ε+τα)²`; outside, `p = (1 − τα/r)v`:
   * `∂p/∂α = −τ v/r`, `∂p/∂ε = 0`.
   */
  proxParamVjp(v: Vec, tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      const ta = tau * alpha;
      const den = (eps + ta) * (eps + ta);
      let sa = 0;
      let se = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        const d = groupDot(v, w, j, N, G);
        if (r <= eps + ta) {
          sa -= (tau * eps * d) / den;
          se += (ta * d) / den;
        } else sa -= (tau * d) / r;
      }
      grad[b] = grad[b]! + scale * sa;
      grad[B + b] = grad[B + b]! + scale * se;
    }
  }

  /** `f` is differentiable: `out = shift + ∇f(x)`; `out` may alias `shift`. */
  minNormSubgradient(z: Vec, shift: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const alpha = this.params[b]!;
      const eps = this.params[B + b]!;
      for (let j = j0; j < j0 + M; j++) {
        groupCombine(1, shift, alpha / Math.max(eps, groupNorm(z, j, N, G)), z, j, N, G, out);
      }
    }
    return out;
  }

  /** `f*(y) = Σ ε/(2α)‖y_j‖² + ι{‖y_j‖ ≤ α}` ({@link HuberConjugate}, same groups and parameters). */
  conjugate(): HuberConjugate {
    const B = this.layout.blocks;
    return new HuberConjugate({
      shape: this.shape,
      groupSize: this.layout.groupSize,
      alpha: this.params.slice(0, B),
      epsilon: this.params.slice(B),
    });
  }
}

/** Options of {@link Huber}: those of {@link GroupHuber} without `groupSize` (groups of one entry). */
export type HuberOptions = Omit<GroupHuberOptions, 'groupSize'>;

/**
 * The elementwise Huber function `Σ α H_ε(|z_i|)` (anisotropic): {@link GroupHuber} with groups
 * of one entry. Conjugate: the anisotropic {@link HuberConjugate}.
 */
export class Huber extends GroupHuber {
  constructor(options: HuberOptions) {
    super(elementwiseOptions(huberSchema, options, 'Huber'));
  }
}
