/**
 * The a-posteriori error bound of the piggyback hypergradient, arXiv 2412.06436 Theorem 2,
 * eq. (16) with constants (17a)–(17d), plus the cross term `(C^X_1 + C^Y_2) ε_x ε_y` that the
 * version of the theorem in deepinv omits (docs/math/error-bound.md#eq-16-with-the-cross-term).
 * @module
 */

/**
 * Smoothness and convexity constants of the saddle problem
 * `min_x max_y ⟨Kx, y⟩ + g(x) − f*(y)` and the loss `ℓ₁(x)` (with `ℓ₂ ≡ 0`).
 */
export interface SaddleBoundConstants {
  /** `μ_g`: strong convexity of `g`. */
  readonly muG: number;
  /** `L_{∇g}`: Lipschitz constant of `∇g`. */
  readonly lipGradG: number;
  /** `L_{∇²g*}`: Lipschitz constant of `∇²g*` (0 for quadratic `g`). */
  readonly lipHessGStar: number;
  /** `μ_{f*}`: strong convexity of `f*`. */
  readonly muFStar: number;
  /** `L_{∇f*}`: Lipschitz constant of `∇f*` (on the interior of its domain). */
  readonly lipGradFStar: number;
  /** `L_{∇²f}`: Lipschitz constant of `∇²f` (Infinity for Huber; see {@link SaddleBoundInput}). */
  readonly lipHessF: number;
  /**
   * `L_y`: Lipschitz constant of `y ↦ H_{f*}⁻¹(y)` (`HessianInvertible.inverseHessianLipschitz.point`);
   * default `L_{∇²f}L_{∇f*}` (the paper's, via `H_{f*}⁻¹ = ∇²f ∘ ∇f*`).
   */
  readonly lipInvHessPoint?: number;
  /**
   * `L_u`: Lipschitz constant of `u ↦ H_{f*}⁻¹(y; u)` when the generalised Hessian of `f*` is
   * evaluated at the pair `(y, u = Kx)` (`HessianInvertible.inverseHessianLipschitz.pair`;
   * 0 when it depends on `y` only). Default 0.
   */
  readonly lipInvHessPair?: number;
  /** `L₁`: Lipschitz constant of `∇ℓ₁`. */
  readonly lipLoss: number;
  /** `‖K‖` (an upper bound). */
  readonly normK: number;
  /**
   * `C_θ` with `‖∇_θ⟨K_θu, v⟩‖ ≤ C_θ‖u‖‖v‖`: maps the bound on the operator-space error
   * `‖yXᵀ + Yxᵀ − ŷX̂ᵀ − Ŷx̂ᵀ‖` to the parameter space (1 when θ is the matrix K itself).
   */
  readonly paramVjpBound: number;
}

/** The measured quantities at the current iterate, entering eq. (16). */
export interface SaddleBoundInput {
  /** Lemma 2 (6a): `‖x − x̂‖ ≤ ε_x`. */
  readonly epsX: number;
  /** Lemma 2 (6b): `‖y − ŷ‖ ≤ ε_y`. */
  readonly epsY: number;
  /** Lemma 3: `‖X − X̃‖ ≤ δ_X`. */
  readonly deltaX: number;
  /** Lemma 3: `‖Y − Ỹ‖ ≤ δ_Y`. */
  readonly deltaY: number;
  /** `‖x‖`. */
  readonly normX: number;
  /** `‖y‖`. */
  readonly normY: number;
  /** `‖X‖` (primal adjoint). */
  readonly normAdjX: number;
  /** `‖Y‖` (dual adjoint). */
  readonly normAdjY: number;
  /** `‖∇ℓ₁(x)‖`. */
  readonly gradLossNorm: number;
}

/** Terms of the bound, for logging and tests. */
export interface SaddleBound {
  /** The bound `ω ≥ ‖z − ∇L‖`. */
  readonly bound: number;
  /** `C^X_1`, `C^X_2`, `C^Y_1`, `C^Y_2` as used. */
  readonly constants: { readonly CX1: number; readonly CX2: number; readonly CY1: number; readonly CY2: number };
}

/**
 * Evaluate eq. (16) plus the cross term (docs/math/error-bound.md). The constants are
 * Lipschitz constants of the adjoint solution, `‖X̃ − X̂‖ ≤ C^X_1ε_x + C^X_2ε_y` and likewise for
 * `Y`, and come by two routes:
 *
 * - the paper's (17a)–(17d), which differentiate the reduced dual system `B₂Ỹ = −KH_g⁻¹∇ℓ₁` and
 *   hold when `H_{f*}` depends on `y` alone (`L_u = 0`);
 * - the primal route at the pair (docs/math/error-bound.md#constants-at-the-pair): with
 *   `L_y = L_{∇²f}L_{∇f*}` and `L_u` the Lipschitz constants of `F = H_{f*}⁻¹` in `y` and in
 *   `u = Kx`, `X̃ = −B₁⁻¹∇ℓ₁`, `Ỹ = FKX̃`:
 *   `C^X_1 = (L₁ + (L_{∇²g*}L_{∇g}³ + ‖K‖³L_u)‖X̃‖)/μ_g`, `C^X_2 = ‖K‖²L_y‖X̃‖/μ_g`,
 *   `C^Y_1 = ‖K‖(L_u‖K‖‖X̃‖ + C^X_1/μ_{f*})`, `C^Y_2 = ‖K‖(L_y‖X̃‖ + C^X_2/μ_{f*})`.
 *
 * Each gives a valid bound of the same error; the smaller is returned with its constants. The
 * adjoint norms are the a-priori bounds `‖X̃‖ ≤ (‖∇ℓ₁(x)‖ + L₁ε_x)/μ_g` and
 * `‖Ỹ‖ ≤ ‖K‖(‖∇ℓ₁(x)‖ + L₁ε_x)/(μ_g μ_{f*})` (from `B₁X̃ = −∇ℓ₁`, `B₂Ỹ = −KH_g⁻¹∇ℓ₁`), which hold
 * at every point of the segment from the iterate to the solution. A term `0·∞` (a zero
 * tolerance times an infinite constant) counts as 0.
 */
export function saddleHypergradientBound(c: SaddleBoundConstants, m: SaddleBoundInput): SaddleBound {
  if (!(c.muG > 0) || !(c.muFStar > 0)) {
    // Without strong convexity on both sides Lemmas 2–3 and Theorem 2 give no bound.
    return { bound: Infinity, constants: { CX1: Infinity, CX2: Infinity, CY1: Infinity, CY2: Infinity } };
  }
  const gl = m.gradLossNorm + mul(c.lipLoss, m.epsX);
  const supX = gl / c.muG;
  const supY = (c.normK * gl) / (c.muG * c.muFStar);
  const lipU = c.lipInvHessPair ?? 0;
  const lipY = c.lipInvHessPoint ?? c.lipHessF * c.lipGradFStar;
  const lipHessG = c.lipHessGStar * c.lipGradG ** 3;
  // Primal route at the pair.
  const CX1 = (c.lipLoss + mul(lipHessG + mul(c.normK ** 3, lipU), supX)) / c.muG;
  const CX2 = mul(c.normK * c.normK * lipY, supX) / c.muG;
  const primal = {
    CX1,
    CX2,
    CY1: c.normK * (mul(lipU * c.normK, supX) + CX1 / c.muFStar),
    CY2: c.normK * (mul(lipY, supX) + CX2 / c.muFStar),
  };
  let best = { bound: c.paramVjpBound * operatorSpaceBound(primal, m), constants: primal };
  if (lipU === 0) {
    // The paper's (17a)–(17d).
    const paper = {
      CX1,
      CX2,
      CY1: mul(c.lipHessGStar * c.lipGradG * c.normK, c.normK * supY + gl) / c.muFStar + (c.lipLoss * c.normK) / (c.muG * c.muFStar),
      CY2: mul(lipY * c.lipGradFStar ** 2, supY) / c.muFStar,
    };
    const bound = c.paramVjpBound * operatorSpaceBound(paper, m);
    if (bound < best.bound) best = { bound, constants: paper };
  }
  return best;
}

/** `a·b` with `0·∞ = 0`. */
function mul(a: number, b: number): number {
  return a === 0 || b === 0 ? 0 : a * b;
}

/** Eq. (16) plus the cross term `(C^X_1 + C^Y_2)ε_xε_y`: the bound on `‖yXᵀ + Yxᵀ − ŷX̂ᵀ − Ŷx̂ᵀ‖`. */
function operatorSpaceBound(k: SaddleBound['constants'], m: SaddleBoundInput): number {
  const { epsX: ex, epsY: ey, deltaX: dX, deltaY: dY } = m;
  return (
    mul(k.CY1 * m.normX + k.CX1 * m.normY + m.normAdjY, ex) +
    mul(k.CY2 * m.normX + k.CX2 * m.normY + m.normAdjX, ey) +
    m.normY * dX +
    m.normX * dY +
    mul(k.CY1, ex * ex) +
    mul(k.CX2, ey * ey) +
    dX * ey +
    dY * ex +
    mul(k.CX1 + k.CY2, ex * ey)
  );
}
