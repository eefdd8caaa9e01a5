/**
 * The smoothed absolute value (and smoothed group norm)
 * `f(z) = Σ_b λ_b Σ_{j∈b} ψ_{ν_b}(‖z_j‖)` with `ψ_ν(r) = √(r² + ν²)`: the potential of the
 * smoothed TV and Fields-of-Experts models of MAID (docs/math/regularizers.md#the-smooth-potential).
 * @module
 */
import { z, type Vec } from '@bilevel/core';
import type { Conjugable, LearnableFunctional, ProxDifferentiable, Subdifferentiable, TwiceSmooth } from '@bilevel/core';
import { FEASIBILITY_RTOL, groupCombine, groupDot, groupRadialJvp, groupScale, groupNorm, groupSumSq } from './groups.js';
import { GroupedFunctional, groupedOptionsShape, type GroupedOptions } from './grouped.js';
import { MoreauConjugate, type HasConjugateValue } from './moreau.js';
import { parseOptions, positiveOrPerBlock } from '@bilevel/core';

/** Options of {@link SmoothAbs}: `groupSize` 1 (default) is `√(t² + ν²)` per entry, >1 smooths the group norm. */
export interface SmoothAbsOptions extends GroupedOptions {
  /** Weight `λ > 0`, one value or one per block of consecutive groups (default 1). */
  readonly weight?: number | ArrayLike<number>;
  /** Smoothing `ν > 0`, one value or one per block (default 1). */
  readonly nu?: number | ArrayLike<number>;
}

const schema = z.strictObject({
  ...groupedOptionsShape,
  weight: positiveOrPerBlock.optional(),
  nu: positiveOrPerBlock.optional(),
});

/** Newton steps cap of the prox (quadratic convergence needs far fewer; see {@link smoothAbsRadius}). */
const MAX_NEWTON = 60;

/**
 * The radius `ρ = ‖prox_{τλψ_ν}(v_j)‖` for `r = ‖v_j‖` and `t = τλ`: the root of the increasing,
 * concave `φ(ρ) = ρ + tρ/√(ρ² + ν²) − r`. Newton's method from
 * `ρ₀ = max(r/(1 + t/ν), r − t)` (both below the root) increases monotonically to the root and
 * converges quadratically; it stops when a step no longer changes `ρ` in the 16th digit.
 */
export function smoothAbsRadius(r: number, t: number, nu: number): number {
  if (r === 0) return 0;
  let rho = Math.max(r / (1 + t / nu), r - t);
  for (let k = 0; k < MAX_NEWTON; k++) {
    const psi = Math.sqrt(rho * rho + nu * nu);
    const phi = rho + (t * rho) / psi - r;
    const dphi = 1 + (t * nu * nu) / (psi * psi * psi);
    const step = phi / dphi;
    rho -= step;
    if (!(Math.abs(step) > 1e-16 * rho)) break;
  }
  return rho;
}

/**
 * `f(z) = Σ_b λ_b Σ_{j∈b} √(‖z_j‖² + ν_b²)`; parameters `[λ_0 … λ_{B−1}, ν_0 … ν_{B−1}]` (the
 * positive values themselves). With `ψ = √(r² + ν²)` (docs/math/regularizers.md#the-smooth-potential):
 *
 * - gradient `λ z_j/ψ` (Lipschitz `max λ/ν`), Hessian `λ(I/ψ − z zᵀ/ψ³)`;
 * - `∂_ν ∇f = −λν z/ψ³`, `∂_λ ∇f = z/ψ`;
 * - prox `p_j = (ρ/r) v_j` with `ρ` the Newton root of {@link smoothAbsRadius}; Jacobian
 *   `(ρ/r) u + (ρ'(r) − ρ/r) v⟨v,u⟩/r²` with `ρ'(r) = 1/φ'(ρ)` (implicit differentiation);
 * - conjugate `f*(y) = Σ −ν√(λ² − ‖y_j‖²) + ι{‖y_j‖ ≤ λ}` (value in closed form, prox through
 *   the Moreau identity: a {@link MoreauConjugate}, flagged `derivedByMoreau`).
 */
export class SmoothAbs
  extends GroupedFunctional
  implements ProxDifferentiable, TwiceSmooth, Conjugable, Subdifferentiable, LearnableFunctional, HasConjugateValue
{
  /** Not strongly convex. */
  readonly strongConvexity = 0;

  constructor(options: SmoothAbsOptions) {
    const o = parseOptions(schema, options, 'SmoothAbs');
    super('SmoothAbs', o.shape, o.groupSize ?? 1, ['weight', 'nu'], [o.weight ?? 1, o.nu ?? 1]);
  }

  /** Lipschitz constant of the gradient, `max_b λ_b/ν_b`. */
  get lipschitz(): number {
    return this.maxBlockRatio(0, 1);
  }

  /** `Σ λ √(‖z_j‖² + ν²)`. */
  value(z: Vec): number {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    let total = 0;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const nu2 = this.params[B + b]! ** 2;
      let s = 0;
      for (let j = j0; j < j0 + M; j++) s += Math.sqrt(groupSumSq(z, j, N, G) + nu2);
      total += this.params[b]! * s;
    }
    return total;
  }

  /** `out_j = λ z_j/ψ`. */
  gradient(z: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const lambda = this.params[b]!;
      const nu2 = this.params[B + b]! ** 2;
      for (let j = j0; j < j0 + M; j++) groupScale(z, j, N, G, lambda / Math.sqrt(groupSumSq(z, j, N, G) + nu2), out);
    }
    return out;
  }

  /** `out_j = λ(v_j/ψ − z_j⟨z_j, v_j⟩/ψ³)`. */
  hvp(z: Vec, v: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const lambda = this.params[b]!;
      const nu2 = this.params[B + b]! ** 2;
      for (let j = j0; j < j0 + M; j++) {
        const psi = Math.sqrt(groupSumSq(z, j, N, G) + nu2);
        groupRadialJvp(z, v, j, N, G, lambda / psi, -lambda / (psi * psi * psi), out);
      }
    }
    return out;
  }

  /** `out_j = (ρ/r) v_j` with the Newton radius `ρ`; `out` may alias `v`. */
  prox(v: Vec, tau: number, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const t = tau * this.params[b]!;
      const nu = this.params[B + b]!;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        groupScale(v, j, N, G, r > 0 ? smoothAbsRadius(r, t, nu) / r : 0, out);
      }
    }
    return out;
  }

  /** `(ρ/r) u + (ρ' − ρ/r) v⟨v,u⟩/r²`, `ρ' = 1/(1 + tν²/ψ(ρ)³)`; `out` may alias `dv`. */
  proxJvp(v: Vec, tau: number, dv: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const t = tau * this.params[b]!;
      const nu = this.params[B + b]!;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        if (r === 0) {
          groupScale(dv, j, N, G, 1 / (1 + t / nu), out);
          continue;
        }
        const rho = smoothAbsRadius(r, t, nu);
        const psi = Math.sqrt(rho * rho + nu * nu);
        const drho = 1 / (1 + (t * nu * nu) / (psi * psi * psi));
        const s = rho / r;
        groupRadialJvp(v, dv, j, N, G, s, (drho - s) / (r * r), out);
      }
    }
    return out;
  }

  /** `∂f/∂λ = Σψ`, `∂f/∂ν = λ Σ ν/ψ`. */
  valueParamGrad(z: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const nu = this.params[B + b]!;
      let sl = 0;
      let sn = 0;
      for (let j = j0; j < j0 + M; j++) {
        const psi = Math.sqrt(groupSumSq(z, j, N, G) + nu * nu);
        sl += psi;
        sn += nu / psi;
      }
      grad[b] = grad[b]! + scale * sl;
      grad[B + b] = grad[B + b]! + scale * this.params[b]! * sn;
    }
  }

  /** `∂_λ⟨∇f, w⟩ = Σ⟨z_j,w_j⟩/ψ`, `∂_ν⟨∇f, w⟩ = −λν Σ⟨z_j,w_j⟩/ψ³`. */
  gradParamVjp(z: Vec, w: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const nu = this.params[B + b]!;
      let sl = 0;
      let sn = 0;
      for (let j = j0; j < j0 + M; j++) {
        const psi = Math.sqrt(groupSumSq(z, j, N, G) + nu * nu);
        const d = groupDot(z, w, j, N, G) / psi;
        sl += d;
        sn += d / (psi * psi);
      }
      grad[b] = grad[b]! + scale * sl;
      grad[B + b] = grad[B + b]! - scale * this.params[b]! * nu * sn;
    }
  }

  /** `out_j = (dλ/ψ − dν·λν/ψ³) z_j`. */
  gradParamJvp(z: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const lambda = this.params[b]!;
      const nu = this.params[B + b]!;
      const dl = dTheta[b]!;
      const dn = dTheta[B + b]!;
      for (let j = j0; j < j0 + M; j++) {
        const psi = Math.sqrt(groupSumSq(z, j, N, G) + nu * nu);
        groupScale(z, j, N, G, dl / psi - (dn * lambda * nu) / (psi * psi * psi), out);
      }
    }
    return out;
  }

  /**
   * `∇_θ⟨prox_{τf}(v), w⟩` by implicit differentiation of `φ(ρ) = 0`: `∂ρ = −∂φ/φ'(ρ)` with
   * `∂_λφ = τρ/ψ`, `∂_νφ = −τλρν/ψ³` (`ψ = √(ρ² + ν²)`), and `∂p_j = (∂ρ/r) v_j`.
   */
  proxParamVjp(v: Vec, tau: number, w: Vec, grad: Float64Array, scale = 1): void {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const lambda = this.params[b]!;
      const nu = this.params[B + b]!;
      const t = tau * lambda;
      let sl = 0;
      let sn = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r = groupNorm(v, j, N, G);
        if (r === 0) continue;
        const rho = smoothAbsRadius(r, t, nu);
        const psi = Math.sqrt(rho * rho + nu * nu);
        const dphi = 1 + (t * nu * nu) / (psi * psi * psi);
        const vw = groupDot(v, w, j, N, G) / (r * dphi);
        sl -= ((tau * rho) / psi) * vw;
        sn += ((t * rho * nu) / (psi * psi * psi)) * vw;
      }
      grad[b] = grad[b]! + scale * sl;
      grad[B + b] = grad[B + b]! + scale * sn;
    }
  }

  /** `f` is differentiable: `out = shift + ∇f(z)`; `out` may alias `shift`. */
  minNormSubgradient(z: Vec, shift: Vec, out: Vec): Vec {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const lambda = this.params[b]!;
      const nu2 = this.params[B + b]! ** 2;
      for (let j = j0; j < j0 + M; j++) {
        groupCombine(1, shift, lambda / Math.sqrt(groupSumSq(z, j, N, G) + nu2), z, j, N, G, out);
      }
    }
    return out;
  }

  /** `f*(y) = Σ −ν√(λ² − ‖y_j‖²)` if every `‖y_j‖ ≤ λ(1 + 1e-12)`, else `+∞`. */
  conjugateValue(y: Vec): number {
    const { groups: N, groupSize: G, blocks: B, groupsPerBlock: M } = this.layout;
    let total = 0;
    for (let b = 0, j0 = 0; b < B; b++, j0 += M) {
      const lambda = this.params[b]!;
      const l2 = lambda * lambda;
      const limit = (lambda * (1 + FEASIBILITY_RTOL)) ** 2;
      let s = 0;
      for (let j = j0; j < j0 + M; j++) {
        const r2 = groupSumSq(y, j, N, G);
        if (r2 > limit) return Infinity;
        s += Math.sqrt(Math.max(0, l2 - r2));
      }
      total -= this.params[B + b]! * s;
    }
    return total;
  }

  /**
   * `f*` as a {@link MoreauConjugate} of a copy of this functional (its parameters follow the
   * conjugate's `setParams`, not this instance's).
   */
  conjugate(): MoreauConjugate {
    const B = this.layout.blocks;
    return new MoreauConjugate(
      new SmoothAbs({
        shape: this.shape,
        groupSize: this.layout.groupSize,
        weight: this.params.slice(0, B),
        nu: this.params.slice(B),
      }),
    );
  }
}
