/**
 * The a-posteriori error bound of the piggyback hypergradient, arXiv 2412.06436 Theorem 2,
 * eq. (16) with constants (17a)–(17d), plus the cross term `(C^X_1 + C^Y_2) ε_x ε_y` that the
 * transcription omits (research note piggyback-pdhg.md §4.4).
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
 * Evaluate eq. (16) plus the cross term. The adjoint norms inside (17a)–(17d) must bound the
 * exact adjoint solution along the whole segment from the iterate to the solution (the
 * constants are Lipschitz constants of the adjoint solution map), so they are taken from the
 * a-priori bounds `‖X̃‖ ≤ (‖∇ℓ₁(x)‖ + L₁ε_x)/μ_g` and `‖Ỹ‖ ≤ ‖K‖(‖∇ℓ₁(x)‖ + L₁ε_x)/(μ_g μ_{f*})`
 * (from `B₁X̃ = −∇ℓ₁`, `B₂Ỹ = −KH_g⁻¹∇ℓ₁`, Lemma 3), which hold at every point of the segment.
 * A term `0·∞` (a zero tolerance times an infinite constant) counts as 0.
 */
export function saddleHypergradientBound(c: SaddleBoundConstants, m: SaddleBoundInput): SaddleBound {
  if (!(c.muG > 0) || !(c.muFStar > 0)) {
    // Without strong convexity on both sides Lemmas 2–3 and Theorem 2 give no bound.
    return { bound: Infinity, constants: { CX1: Infinity, CX2: Infinity, CY1: Infinity, CY2: Infinity } };
  }
  const mul = (a: number, b: number): number => (a === 0 || b === 0 ? 0 : a * b);
  const gl = m.gradLossNorm + mul(c.lipLoss, m.epsX);
  const supX = gl / c.muG;
  const supY = (c.normK * gl) / (c.muG * c.muFStar);
  const CX1 = (mul(c.lipHessGStar * c.lipGradG ** 3, supX) + c.lipLoss) / c.muG;
  const CX2 = mul(c.lipHessF * c.lipGradFStar * c.normK, c.normK * supX) / c.muG;
  const CY1 = mul(c.lipHessGStar * c.lipGradG * c.normK, c.normK * supY + gl) / c.muFStar + (c.lipLoss * c.normK) / (c.muG * c.muFStar);
  const CY2 = mul(c.lipHessF * c.lipGradFStar ** 3, supY) / c.muFStar;
  const { epsX: ex, epsY: ey, deltaX: dX, deltaY: dY } = m;
  const operatorSpace =
    mul(CY1 * m.normX + CX1 * m.normY + m.normAdjY, ex) +
    mul(CY2 * m.normX + CX2 * m.normY + m.normAdjX, ey) +
    m.normY * dX +
    m.normX * dY +
    mul(CY1, ex * ex) +
    mul(CX2, ey * ey) +
    dX * ey +
    dY * ex +
    mul(CX1 + CY2, ex * ey);
  return { bound: c.paramVjpBound * operatorSpace, constants: { CX1, CX2, CY1, CY2 } };
}
