/**
 * Weighted group norms `f(x) = Σ_b λ_b Σ_{j ∈ block b} ‖x_j‖₂`: the mixed `L2,1` norm
 * (isotropic TV on the gradient's range), and its special cases `L1` (groups of one entry) and
 * `L2` (one group holding the whole vector).
 * @module
 */
import { shapeSize, z, type Shape, type Vec } from '@bilevel/core';
import type { Conjugable, LearnableFunctional, ProxDifferentiable, Subdifferentiable } from '@bilevel/core';
import { groupCombine, groupDot, groupRadialJvp, groupScale, groupNorm } from './groups.js';
import { elementwiseOptions, GroupedFunctional, groupedOptionsShape, type GroupedOptions } from './grouped.js';
import { L2InfBall, LInfBall } from './ball.js';
import { parseOptions, positiveOrPerBlock } from '@bilevel/core';

/** Options of {@link GroupL21}. */
export interface GroupL21Options extends GroupedOptions {
  /** Weight `λ > 0`, one value or one per block of consecutive groups (default 1). */
  readonly weight?: number | ArrayLike<number>;
}

const groupL21Schema = z.strictObject({
  ...groupedOptionsShape,
  weight: positiveOrPerBlock.optional(),
});

/**
 * The weighted mixed norm `f(x) = Σ_b λ_b Σ_{j∈b} ‖x_j‖₂` (group lasso; isotropic total
 * variation when applied to the gradient with `groupSize` 2). Parameters: `λ_b` (`weight`).
 *
 * - prox (block soft-thresholding: the prox of `τλ‖·‖₂` per group; Beck, *First-Order Methods
 *   in Optimization*, Ch. 6):
 *   `prox_{τf}(v)_j = max(0, 1 − τλ/‖v_j‖) v_j`;
 * - prox Jacobian where `‖v_j‖ > τλ`: `s u + (τλ/r³) v ⟨v, u⟩` with `s = 1 − τλ/r`, `r = ‖v_j‖`;
 *   zero otherwise;
 * - conjugate: the indicator of `{‖y_j‖ ≤ λ_b}` ({@link L2InfBall} with radius `λ`);
 * - `∂f(x)_j = λ x_j/‖x_j‖` for `x_j ≠ 0`, the ball of radius `λ` for `x_j = 0`.
 */
export class GroupL21 extends GroupedFunctional implements ProxDifferentiable, Conjugable, Subdifferentiable, LearnableFunctional {
  /** Not strongly convex. */
  readonly strongConvexity = 0;

  constructor(options: GroupL21Options) {
    const o = parseOptions(groupL21Schema, options, 'GroupL21');
    super('GroupL21', o.shape, o.groupSize ?? 1, ['weight'], [o.weight ?? 1]);
  }

  /** `Σ_b λ_b Σ_j ‖x_j‖`. */
  value(x: Vec): number {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    let total = 0;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      let s = 0;
      for (let j = j0; j < j0 + M; j++) s += groupNorm(x, j, N, G);
      total += this.params[b]! * s;
    }
    return total;
  }

  /** Block soft-thresholding `out_j = max(0, 1 − τλ/‖v_j‖) v_j`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const t = tau * this.params[b]!;
      for (let j = j0; j < j0 + M; j++) {
        const s = Math.max(0, 1 - t / groupNorm(v, j, N, G));
        groupScale(v, j, N, G, s, out);
      }
    }
    return out;
  }

  /** `D prox_{τf}(v)·dv`: `s u + (τλ/r³) v⟨v,u⟩` where `r > τλ`, else 0; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const t = tau * this.params[b]!;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        if (r > t) groupRadialJvp(v, dv, j, N, G, 1 - t / r, t / (r * r * r), out);
        else groupScale(dv, j, N, G, 0, out);
      }
    }
    return out;
  }

  /** `grad_b += scale · Σ_{j∈b} ‖x_j‖` (derivative of the value in `λ_b`). */
  valueParamGrad(x: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      let s = 0;
      for (let j = j0; j < j0 + M; j++) s += groupNorm(x, j, N, G);
      grad[b] = grad[b]! + scale * s;
    }
  }

  /** `grad_b += scale · Σ_{j∈b, r>τλ} −τ⟨v_j, w_j⟩/‖v_j‖` (`∂p_j/∂λ = −τ v_j/r`). */
  proxParamVjp(v: Vec, tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const t = tau * this.params[b]!;
      let s = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        if (r > t) s -= (tau * groupDot(v, w, j, N, G)) / r;
      }
      grad[b] = grad[b]! + scale * s;
    }
  }

  /**
   * Min-norm element of `shift + ∂f(x)`: `shift_j + λ x_j/‖x_j‖` where `x_j ≠ 0`, and
   * `shift_j·max(0, 1 − λ/‖shift_j‖)` (shift minus its projection on the λ-ball) where
   * `x_j = 0`. `out` may alias `shift`.
   */
  minNormSubgradient(x: Vec, shift: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const lambda = this.params[b]!;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(x, j, N, G);
        if (r > 0) groupCombine(1, shift, lambda / r, x, j, N, G, out);
        else groupScale(shift, j, N, G, Math.max(0, 1 - lambda / groupNorm(shift, j, N, G)), out);
      }
    }
    return out;
  }

  /** `f*(y) = ι{‖y_j‖ ≤ λ_b}`: an {@link L2InfBall} with the same groups and radii `λ_b`. */
  conjugate(): L2InfBall {
    return new L2InfBall({ shape: this.shape, groupSize: this.layout.groupSize, radius: this.params });
  }
}

/** Options of {@link L1}: those of {@link GroupL21} without `groupSize` (groups of one entry). */
export type L1Options = Omit<GroupL21Options, 'groupSize'>;

/**
 * `f(x) = λ‖x‖₁ = Σ λ|x_i|`: {@link GroupL21} with groups of one entry. prox: soft-thresholding
 * `sign(v) max(0, |v| − τλ)` (Donoho 1995); conjugate: {@link LInfBall} `ι{|y_i| ≤ λ}`.
 */
export class L1 extends GroupL21 {
  constructor(options: L1Options) {
    super(elementwiseOptions(groupL21Schema, options, 'L1'));
  }

  /** `ι{|y_i| ≤ λ}`. */
  override conjugate(): LInfBall {
    return new LInfBall({ shape: this.shape, radius: this.params });
  }
}

/** Options of {@link L2}. */
export interface L2Options {
  /** Shape of the argument. */
  readonly shape: Shape;
  /** Weight `λ > 0` (default 1). */
  readonly weight?: number;
}

/**
 * `f(x) = λ‖x‖₂` (not squared): {@link GroupL21} with one group holding every entry.
 * prox: `max(0, 1 − τλ/‖v‖) v`; conjugate: the Euclidean ball `ι{‖y‖₂ ≤ λ}`.
 */
export class L2 extends GroupL21 {
  constructor(options: L2Options) {
    const o = parseOptions(groupL21Schema.omit({ groupSize: true }), options, 'L2');
    super({ ...o, groupSize: shapeSize(o.shape) });
  }
}
