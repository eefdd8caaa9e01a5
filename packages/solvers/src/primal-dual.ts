/**
 * The one primal–dual update of the generic composition, shared by PDHG and its piggyback
 * adjoint (arXiv 2412.06436 §3.2, docs/math/piggyback.md#the-piggyback-recursion): both iterate
 * the same dual-first scheme and differ only in the maps they apply (prox maps vs their
 * Jacobians) and in a source term (`∇ℓ` for the adjoint).
 * @module
 */
import type { LinearOperator, Vec } from '@bilevel/core';

/**
 * The maps of one primal–dual update: PDHG applies `prox_{σf*}` and `prox_{τg}`, the piggyback
 * adjoint the Jacobians `J_{σf*}(w)` and `J_{τg}(v)` at PDHG's prox inputs. The diagonal forms
 * (steps per entry, Pock–Chambolle 2011) are used when the update gets step vectors.
 */
export interface PrimalDualMaps {
  /** `out = D_σ(w)`: the dual map with scalar step `σ`. */
  dual(w: Vec, sigma: number, out: Vec): Vec;
  /** `out = P_τ(v)`: the primal map with scalar step `τ`. */
  primal(v: Vec, tau: number, out: Vec): Vec;
  /** The dual map with a step per entry (diagonal preconditioning), or `null`. */
  readonly dualDiagonal: ((w: Vec, sigma: Vec, out: Vec) => Vec) | null;
  /** The primal map with a step per entry (diagonal preconditioning), or `null`. */
  readonly primalDiagonal: ((v: Vec, tau: Vec, out: Vec) => Vec) | null;
}

/**
 * The arrays of one primal–dual pair `(x, y)` with the operator images the update keeps:
 * `x` is about to become the previous iterate (`xOld`), `xNew` receives the new one (the caller
 * swaps the two references, so nothing is copied), likewise `kx`/`kxNew` for `Kx`. One object
 * per state whose references the caller points at the current arrays before each update (no
 * allocation per step).
 */
export interface PrimalDualArrays {
  /** `xⁿ` (read). */
  xOld: Vec;
  /** Receives `xⁿ⁺¹` (the array of `xⁿ⁻¹`, no longer needed). */
  xNew: Vec;
  /** `yⁿ`, replaced by `yⁿ⁺¹`. */
  readonly y: Vec;
  /** Receives the dual map's input `w = yⁿ + σK x̄ⁿ`. */
  readonly w: Vec;
  /** Receives the primal map's input `v = xⁿ − τ(Kᵀyⁿ⁺¹ + s)`. */
  readonly v: Vec;
  /** `Kxⁿ` (read). */
  kx: Vec;
  /** `Kxⁿ⁻¹` (read), replaced by `Kxⁿ⁺¹`. */
  kxNew: Vec;
  /** Receives `Kᵀyⁿ⁺¹`. */
  readonly kty: Vec;
}

/**
 * The two halves of one primal–dual update, each with the formation of its map's input: what
 * {@link primalDualUpdate} runs between its operator applications. {@link proxSteps} builds
 * them from {@link PrimalDualMaps} (the generic composition); a fused kernel supplies its own
 * sweeps (one pass over the arrays of both halves of a stacked pair, say), so PDHG, its
 * piggyback adjoint and the kernels share the one update.
 */
export interface PrimalDualSteps {
  /**
   * `w = yⁿ + σ K x̄ⁿ` with `K x̄ⁿ = Kxⁿ + ϑ(Kxⁿ − Kxⁿ⁻¹)` (from `a.kx`, `a.kxNew`), `yⁿ⁺¹ = D_σ(w)`
   * into `a.y`; returns a sum over the update that is NaN or infinite as soon as an entry is.
   */
  dual(a: PrimalDualArrays, sigma: number, theta: number): number;
  /**
   * `v = xⁿ − τ(Kᵀyⁿ⁺¹ + s)` (from `a.xOld`, `a.kty`, `s = source`, absent: 0),
   * `xⁿ⁺¹ = P_τ(v)` into `a.xNew`; returns a sum as {@link PrimalDualSteps.dual}.
   */
  primal(a: PrimalDualArrays, tau: number, source: Vec | null): number;
}

/**
 * The steps of the generic composition: the input loops, then the maps (with step vectors
 * `σ_i`, `τ_j` in place of `σ`, `τ` when given: diagonal preconditioning). Each half returns
 * the sum of its map's input (`Σw`, `Σv`), kept in `a.w`, `a.v` for the residuals.
 */
export function proxSteps(maps: PrimalDualMaps, tauVec: Vec | null, sigmaVec: Vec | null): PrimalDualSteps {
  return {
    dual(a, sigma, theta) {
      const { y, w, kx, kxNew: kxp } = a;
      const m = y.length;
      let acc = 0;
      // kxNew still holds Kx_prev
      if (sigmaVec) {
        for (let i = 0; i < m; i++) {
          const k = kx[i]!;
          const wi = y[i]! + sigmaVec[i]! * (k + theta * (k - kxp[i]!));
          w[i] = wi;
          acc += wi;
        }
        maps.dualDiagonal!(w, sigmaVec, y);
      } else {
        for (let i = 0; i < m; i++) {
          const k = kx[i]!;
          const wi = y[i]! + sigma * (k + theta * (k - kxp[i]!));
          w[i] = wi;
          acc += wi;
        }
        maps.dual(w, sigma, y);
      }
      return acc;
    },
    primal(a, tau, source) {
      const { xOld, v, kty } = a;
      const n = v.length;
      let acc = 0;
      if (tauVec) {
        for (let j = 0; j < n; j++) {
          const vj = xOld[j]! - tauVec[j]! * kty[j]!;
          v[j] = vj;
          acc += vj;
        }
        maps.primalDiagonal!(v, tauVec, a.xNew);
      } else if (source) {
        for (let j = 0; j < n; j++) {
          const vj = xOld[j]! - tau * (kty[j]! + source[j]!);
          v[j] = vj;
          acc += vj;
        }
        maps.primal(v, tau, a.xNew);
      } else {
        for (let j = 0; j < n; j++) {
          const vj = xOld[j]! - tau * kty[j]!;
          v[j] = vj;
          acc += vj;
        }
        maps.primal(v, tau, a.xNew);
      }
      return acc;
    },
  };
}

/**
 * One primal–dual update (dual-first form of Chambolle–Pock 2011, docs/math/saddle-problem.md#pdhg):
 * ```
 * w = yⁿ + σ K x̄ⁿ,   K x̄ⁿ = Kxⁿ + ϑ(Kxⁿ − Kxⁿ⁻¹)     yⁿ⁺¹ = D_σ(w)
 * v = xⁿ − τ(Kᵀyⁿ⁺¹ + s),                            xⁿ⁺¹ = P_τ(v),   Kxⁿ⁺¹
 * ```
 * with `s = source` (absent: 0): the dual half of `steps`, one `adjoint` of `K`, the primal half,
 * one `apply`; no allocation. Returns the sum of the two halves' sums (the divergence check of
 * PDHG: NaN or infinite as soon as an entry of the update is).
 */
export function primalDualUpdate(
  K: LinearOperator,
  steps: PrimalDualSteps,
  a: PrimalDualArrays,
  tau: number,
  sigma: number,
  theta: number,
  source: Vec | null,
): number {
  const dual = steps.dual(a, sigma, theta);
  K.adjoint(a.y, a.kty);
  const primal = steps.primal(a, tau, source);
  K.apply(a.xNew, a.kxNew);
  return dual + primal;
}
