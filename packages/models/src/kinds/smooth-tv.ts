/**
 * `smooth-tv`: the smoothed TV of MAID (arXiv 2308.10098, `TV_denoising.py`),
 * `R_θ(x) = ½e^{θ₀} Σ_j √(‖(∇x)_j‖² + e^{2θ₁})`, anisotropic by default, in smooth form (FISTA and
 * implicit differentiation with MAID's certified bound constants), and a saddle form
 * (`K = ∇`, `f*` the conjugate of the smoothed absolute value) for reconstructions.
 * @module
 */
import { ValidationError, z, type ParametricSmooth, type SmoothBoundConstants, type Vec } from '@bilevel/core';
import { thetaLayout } from '../layout.js';
import { analysisRegularizerParts, makeModel } from '../model.js';
import { defineModelKind } from '../registry.js';
import { SmoothedTV } from '../regularizers/total-variation.js';
import { logParameter } from '../schemas.js';

const layout = thetaLayout([
  { name: 'log_weight', size: 1, link: 'exp', description: 'θ₀: the weight is ½e^θ₀' },
  { name: 'log_nu', size: 1, link: 'exp', description: 'θ₁: the smoothing is ν = e^θ₁' },
]);

/** The `smooth-tv` kind. */
export const smoothTv = defineModelKind({
  kind: 'smooth-tv',
  summary: 'smoothed TV ½e^θ₀ Σ √((∂x)² + e^{2θ₁}) (MAID), smooth form with certified bound constants',
  options: z.strictObject({
    mode: z
      .enum(['anisotropic', 'isotropic'])
      .default('anisotropic')
      .describe('Grouping of the differences: "anisotropic" (each difference alone; MAID\'s bound constants are derived for it) or "isotropic" (no certified constants).'),
    boundary: z.enum(['neumann', 'periodic']).default('neumann').describe('Boundary rule of the gradient.'),
  }),
  init: z.strictObject({
    logWeight: logParameter.default(-5).describe('θ₀: the regularisation weight is ½e^θ₀ (MAID paper init −5).'),
    logSmoothing: logParameter.default(-5).describe('θ₁: the smoothing is ν = e^θ₁ (MAID paper init −5).'),
  }),
  layout: () => layout,
  initialTheta: (_o, init) => Float64Array.of(init.logWeight, init.logSmoothing),
  build(o, shape) {
    const R = new SmoothedTV({ shape, mode: o.mode, boundary: o.boundary });
    return makeModel({
      kind: 'smooth-tv',
      options: o,
      shape,
      layout,
      ...analysisRegularizerParts(R),
      smooth: { R: R.smooth(), certified: o.mode === 'anisotropic', ...(o.mode === 'anisotropic' ? { boundConstants: smoothedTvBoundConstants(R) } : {}) },
      formula: `½e^θ₀ Σ √((∂x)² + e^{2θ₁}) (${o.mode} smoothed TV, MAID)`,
    });
  },
  report: (_o, theta) => ({ 'weight ½e^θ₀': 0.5 * Math.exp(theta[0]!), 'smoothing ν = e^θ₁': Math.exp(theta[1]!) }),
});

/** `max_t |ψ'''(t)|·ν²` for `ψ(t) = √(t² + ν²)`: attained at `t = ν/2`, `(3/2)(4/5)^{5/2}`. */
export const PSI3 = 1.5 * (4 / 5) ** 2.5;

/**
 * Certified constants of the MAID bound for the smoothed TV `R = λ Σ ψ_ν(Dx)`,
 * `λ = ½e^{θ₀}`, `ν = e^{θ₁}` (anisotropic), with `h = data + R`, `μ = h.strongConvexity`:
 * - `‖B(x)‖` exactly, from the 2×2 Gram matrix of `B = [∂_{θ₀}∇R, ∂_{θ₁}∇R]` at `x`;
 * - `L_B ≤ √2·λ‖D‖²/ν`: the columns are `λDᵀψ'(Dx)` and `λDᵀ(−tν²/ψ³)(Dx)`, whose derivatives in
 *   `t` are bounded by `max ψ'' = 1/ν` and `max |∂_t(tν²/ψ³)| = 1/ν`;
 * - `L_{A⁻¹} ≤ λ‖D‖³ max|ψ'''| / μ²` with `max|ψ'''| = (3/2)(4/5)^{5/2}/ν²`, since the data term's
 *   Hessian is constant and `‖A⁻¹‖ ≤ 1/μ`.
 *
 * `L_B` and `L_{A⁻¹}` hold globally, so the `radius` argument is not needed; `‖B‖` is evaluated at
 * the inexact point `x̃`, which is what the bound uses. Anisotropic mode only (the default).
 */
export function smoothedTvBoundConstants(reg: SmoothedTV): (h: ParametricSmooth, x: Vec, radius: number) => SmoothBoundConstants {
  if (reg.saddle().f.layout.groupSize !== 1) {
    throw new ValidationError('smoothedTvBoundConstants: the constants are derived for the anisotropic smoothed TV (mode "anisotropic")');
  }
  const D = reg.operator;
  const normD = D.norm!().value;
  return (h, x) => {
    const lambda = 0.5 * Math.exp(reg.params[0]!);
    const nu = Math.exp(reg.params[1]!);
    const n = x.length;
    const b0 = h.mixedJvp(x, [1, 0], new Float64Array(n));
    const b1 = h.mixedJvp(x, [0, 1], new Float64Array(n));
    let a = 0;
    let b = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      a += b0[i]! * b0[i]!;
      b += b0[i]! * b1[i]!;
      c += b1[i]! * b1[i]!;
    }
    const lmax = 0.5 * (a + c) + Math.sqrt(0.25 * (a - c) ** 2 + b * b);
    const mu = h.strongConvexity;
    return {
      normB: Math.sqrt(lmax),
      lipB: (Math.SQRT2 * lambda * normD * normD) / nu,
      lipAInv: (lambda * normD ** 3 * PSI3) / (nu * nu * mu * mu),
      certified: true,
    };
  };
}
