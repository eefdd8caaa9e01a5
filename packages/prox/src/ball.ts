/**
 * Indicators of mixed-norm balls `ι{‖y_j‖₂ ≤ ρ_b for every group j of block b}`: the `L2,∞`
 * ball (dual of isotropic TV), its special case the `L∞` ball (groups of one entry), and the
 * Euclidean ball (one group).
 * @module
 */
import { z, type Described, type Vec } from '@bilevel/core';
import type { Conjugable, LearnableFunctional, ProxDifferentiable, Subdifferentiable } from '@bilevel/core';
import { FEASIBILITY_RTOL, groupBallMinNorm, groupDot, groupRadialJvp, groupScale, groupNorm, groupSumSq } from './groups.js';
import { elementwiseOptions, GroupedFunctional, groupedOptionsShape, type GroupedOptions } from './grouped.js';
import { GroupL21, L1 } from './group-norm.js';
import { parseOptions, positiveOrPerBlock } from '@bilevel/core';

/** Options of {@link L2InfBall}. */
export interface L2InfBallOptions extends GroupedOptions {
  /** Radius `ρ > 0`, one value or one per block of consecutive groups (default 1). */
  readonly radius?: number | ArrayLike<number>;
}

const ballSchema = z.strictObject({
  ...groupedOptionsShape,
  radius: positiveOrPerBlock.optional(),
});

/**
 * `f(y) = ι{‖y_j‖₂ ≤ ρ_b}` (0 inside, `+∞` outside; points with `‖y_j‖ ≤ ρ(1 + 1e-12)` count as
 * inside, see `FEASIBILITY_RTOL`). Parameters: `ρ_b` (`radius`).
 *
 * - prox (projection, independent of τ): `y_j · min(1, ρ/‖y_j‖)`;
 * - prox Jacobian where `r = ‖v_j‖ > ρ`: `(ρ/r)(u − v⟨v,u⟩/r²)`, identity inside
 *   (docs/math/piggyback.md#prox-jacobians, isotropic row with `ε = 0`);
 * - conjugate: the group norm `Σ ρ_b ‖x_j‖` ({@link GroupL21});
 * - min-norm subgradient: the projection-residual rule of docs/math/certificates.md#min-norm-subgradients.
 */
export class L2InfBall extends GroupedFunctional implements ProxDifferentiable, Conjugable, Subdifferentiable, LearnableFunctional {
  /** Not strongly convex. */
  readonly strongConvexity = 0;

  constructor(options: L2InfBallOptions) {
    const o = parseOptions(ballSchema, options, 'L2InfBall');
    super('L2InfBall', o.shape, o.groupSize ?? 1, ['radius'], [o.radius ?? 1]);
  }

  /** The functional as data (`l2-inf-ball`, live radii per block), for the kernel registry of `@bilevel/core`. */
  describe(): Described<'l2-inf-ball'> {
    const { groups, groupSize } = this.layout;
    return { kind: 'l2-inf-ball', size: groups * groupSize, groupSize, radius: this.params };
  }

  /** 0 if every `‖y_j‖ ≤ ρ_b(1 + 1e-12)`, else `+∞`. */
  value(y: Vec): number {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const limit = (this.params[b]! * (1 + FEASIBILITY_RTOL)) ** 2;
      for (let j = j0; j < j0 + M; j++) if (groupSumSq(y, j, N, G) > limit) return Infinity;
    }
    return 0;
  }

  /** Projection `out_j = v_j · min(1, ρ/‖v_j‖)` (τ plays no role); `out` may alias `v`. */
  prox(v: Vec, _tau: number, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const rho = this.params[b]!;
      for (let j = j0; j < j0 + M; j++) groupScale(v, j, N, G, Math.min(1, rho / groupNorm(v, j, N, G)), out);
    }
    return out;
  }

  /** `(ρ/r)(u − v⟨v,u⟩/r²)` where `r = ‖v_j‖ > ρ`, `u` elsewhere; `out` may alias `dv`. */
  proxJvp(v: Vec, _tau: number, dv: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const rho = this.params[b]!;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        if (r > rho) groupRadialJvp(v, dv, j, N, G, rho / r, -rho / (r * r * r), out);
        else groupScale(dv, j, N, G, 1, out);
      }
    }
    return out;
  }

  /** `grad_b += scale · Σ_{j∈b, r>ρ} ⟨v_j, w_j⟩/r` (`∂p_j/∂ρ = v_j/r` on projected groups). */
  proxParamVjp(v: Vec, _tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const rho = this.params[b]!;
      let s = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        if (r > rho) s += groupDot(v, w, j, N, G) / r;
      }
      grad[b] = grad[b]! + scale * s;
    }
  }

  /**
   * Min-norm element of `shift + N_ball(y)`: `shift_j` inside, `shift_j + λ* y_j` with
   * `λ* = max(0, −⟨shift_j, y_j⟩/‖y_j‖²)` on the sphere, `+∞` outside. `out` may alias `shift`.
   */
  minNormSubgradient(y: Vec, shift: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const rho = this.params[b]!;
      for (let j = j0; j < j0 + M; j++) groupBallMinNorm(y, shift, j, N, G, rho, out);
    }
    return out;
  }

  /** `f*(x) = Σ_b ρ_b Σ_j ‖x_j‖` ({@link GroupL21}). */
  conjugate(): GroupL21 {
    return new GroupL21({ shape: this.shape, groupSize: this.layout.groupSize, weight: this.params });
  }
}

/** Options of {@link LInfBall}: those of {@link L2InfBall} without `groupSize` (groups of one entry). */
export type LInfBallOptions = Omit<L2InfBallOptions, 'groupSize'>;

/**
 * `f(y) = ι{‖y‖_∞ ≤ ρ}`: {@link L2InfBall} with groups of one entry. prox: clipping to
 * `[−ρ, ρ]`; conjugate: {@link L1} with weight `ρ`.
 */
export class LInfBall extends L2InfBall {
  constructor(options: LInfBallOptions) {
    super(elementwiseOptions(ballSchema, options, 'LInfBall'));
  }

  /** `ρ‖x‖₁`. */
  override conjugate(): L1 {
    return new L1({ shape: this.shape, weight: this.params });
  }
}
