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
 * One primal–dual update (dual-first form of Chambolle–Pock 2011, docs/math/saddle-problem.md#pdhg):
 * ```
 * w = yⁿ + σ K x̄ⁿ,   K x̄ⁿ = Kxⁿ + ϑ(Kxⁿ − Kxⁿ⁻¹)     yⁿ⁺¹ = D_σ(w)
 * v = xⁿ − τ(Kᵀyⁿ⁺¹ + s),                            xⁿ⁺¹ = P_τ(v),   Kxⁿ⁺¹
 * ```
 * with `s = source` (absent: 0) and step vectors `σ_i`, `τ_j` in place of `σ`, `τ` when given.
 * One `adjoint` and one `apply` of `K`; no allocation. Returns `Σw + Σv`, which is NaN or
 * infinite as soon as an entry of the update is (the divergence check of PDHG).
 */
export function primalDualUpdate(
  K: LinearOperator,
  maps: PrimalDualMaps,
  a: PrimalDualArrays,
  tau: number,
  sigma: number,
  theta: number,
  source: Vec | null,
  tauVec: Vec | null,
  sigmaVec: Vec | null,
): number {
  const { xOld, y, w, v, kx, kxNew: kxp, kty } = a;
  const m = y.length;
  const n = v.length;
  let acc = 0;
  // Dual: w = y + σ K x̄ with K x̄ = Kx + ϑ(Kx − Kx_prev) (kxNew still holds Kx_prev).
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
  K.adjoint(y, kty);
  // Primal: v = x − τ(Kᵀy + s).
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
  K.apply(a.xNew, kxp);
  return acc;
}

