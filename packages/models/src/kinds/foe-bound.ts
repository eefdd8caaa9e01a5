/**
 * Certified constants of MAID's bound (arXiv 2308.10098, Theorem 2.1) for the smooth Fields of
 * Experts `R = Σ_i c_i Σ_p ψ_{ν_i}((k_i ⋆ x)_p)` with learnable kernels, `c_i = ½e^{θ₀+θ_i}`,
 * `ν_i = e^{s_i}`, `ψ_ν(t) = √(t² + ν²)` (derivation: docs/math/implicit.md#the-smooth-fields-of-experts).
 * @module
 */
import { ValidationError, nrm2, type ParametricSmooth, type SmoothBoundConstants, type Vec } from '@bilevel/core';
import { ConvFilterBank } from '@bilevel/operators';
import type { FieldsOfExperts } from '../regularizers/fields-of-experts.js';
import { PSI3 } from './smooth-tv.js';

/**
 * The bound constants of the smooth FoE at `x̃` within `radius` of the exact minimiser, with
 * `K_i` the correlation with filter `i` (`[C, H, W] → [H, W]`), `κ_i ≥ ‖K_i‖` its Schur bound,
 * `C_K` the filter bank's `paramVjpBound()` (`‖D_d v‖ ≤ C_K‖d‖‖v‖` for the correlation `D_d` with
 * any kernel `d`), `u_i = K_i x̃`, `g_i = ψ'(u_i)`, `ρ_i = u_iν_i²/ψ³(u_i)`, `ξ = ‖x̃‖ + radius`:
 * - `‖B‖² ≤ ‖∇R(x̃)‖² + Σ_i (‖c_iK_iᵀg_i‖² + ‖c_iK_iᵀρ_i‖² + c_i²(C_K‖g_i‖ + κ_iπ_i)²)`
 *   (the θ₀ column exactly, the θ_i and s_i columns exactly, each kernel block bounded), where
 *   `π_i = min(C_K‖ψ''(u_i)‖_∞‖x̃‖, (Σ_p ψ''(u_{i,p})²‖x̃_{[p]}‖²)^{1/2}) ≥ ‖diag(ψ''(u_i))X‖`,
 *   `X` the patch matrix of `x̃` (`D_d x̃ = Xd`, row `p` the patch `x̃_{[p]}` read at pixel `p`;
 *   the second form is its Frobenius norm);
 * - `L_B² ≤ (Σ_i c_iκ_i²/ν_i)² + Σ_i (2(c_iκ_i²/ν_i)² + (c_iC_Kκ_i(2/ν_i + P₃κ_iξ/ν_i²))²)` on the
 *   ball of radius `radius` around `x̃`;
 * - `L_{A⁻¹} ≤ Σ_i c_iκ_i³P₃/(ν_i²μ²)`, globally,
 *
 * with `P₃ = max|ψ'''|·ν² = (3/2)(4/5)^{5/2}` and `μ = h.strongConvexity`. Every block norm
 * adds in quadrature (`‖Σ_b B_b v_b‖ ≤ (Σ_b‖B_b‖²)^{1/2}‖v‖`). Costs about four filter-bank
 * applications per call.
 */
export function fieldsOfExpertsBoundConstants(reg: FieldsOfExperts): (h: ParametricSmooth, x: Vec, radius: number) => SmoothBoundConstants {
  const K = reg.operator;
  if (!(K instanceof ConvFilterBank)) throw new ValidationError('fieldsOfExpertsBoundConstants: the regularizer’s operator must be its ConvFilterBank');
  const [C, H, W] = K.domain as [number, number, number];
  const [m, oh, ow] = K.range as [number, number, number];
  const P = oh * ow;
  const per = C * K.kernelSize * K.kernelSize;
  const n = C * H * W;
  const offset = 1 + 2 * m;
  if (reg.params.length !== offset + m * per) throw new ValidationError('fieldsOfExpertsBoundConstants: θ does not have the Fields-of-Experts layout [θ₀, θ_i, s_i, kernels]');
  const single = new ConvFilterBank({ inChannels: C, outChannels: 1, height: H, width: W, kernelSize: K.kernelSize, boundary: K.boundary });
  const cK = K.paramVjpBound();
  const smooth = reg.smooth();
  const u = new Float64Array(m * P);
  const grad = new Float64Array(n);
  const back = new Float64Array(n);
  const work = new Float64Array(P);
  const kernel = new Float64Array(per);
  const ones = new Float64Array(per).fill(1);
  const squares = new Float64Array(n);
  const patchEnergy = new Float64Array(P);
  /** `‖c K_iᵀ v‖` with the single-filter bank holding kernel `i`. */
  const adjointNorm = (c: number, v: Float64Array): number => c * nrm2(n, single.adjoint(v, back));
  return (h, x, radius) => {
    const theta = reg.params;
    K.apply(x, u);
    const normX = nrm2(n, x);
    const xi = normX + radius;
    // Σ_{c,q} x̃_c[p + q]²: the squared norm of the patch of x̃ read at output pixel p
    for (let t = 0; t < n; t++) squares[t] = x[t]! * x[t]!;
    single.setParams(ones);
    single.apply(squares, patchEnergy);
    let normB2 = nrm2(n, smooth.gradient(x, grad)) ** 2;
    let lip0 = 0;
    let lipB2 = 0;
    let lipAInv = 0;
    for (let i = 0; i < m; i++) {
      const c = 0.5 * Math.exp(theta[0]! + theta[1 + i]!);
      const nu = Math.exp(theta[1 + m + i]!);
      const ui = u.subarray(i * P, (i + 1) * P);
      const ks = theta.subarray(offset + i * per, offset + (i + 1) * per);
      for (let t = 0; t < per; t++) kernel[t] = Math.abs(ks[t]!);
      single.setParams(kernel);
      const kappa = single.norm().value;
      single.setParams(ks);
      // g_i = ψ'(u_i), then ρ_i = u_iν²/ψ³; ‖ψ''(u_i)‖_∞ = max ν²/ψ³
      let maxCurv = 0;
      let weighted = 0;
      for (let p = 0; p < P; p++) {
        const t = ui[p]!;
        const psi = Math.sqrt(t * t + nu * nu);
        const curv = (nu * nu) / (psi * psi * psi);
        work[p] = t / psi;
        maxCurv = Math.max(maxCurv, curv);
        weighted += curv * curv * patchEnergy[p]!;
      }
      const g = nrm2(P, work);
      const bTheta = adjointNorm(c, work);
      for (let p = 0; p < P; p++) {
        const t = ui[p]!;
        const psi = Math.sqrt(t * t + nu * nu);
        work[p] = (t * nu * nu) / (psi * psi * psi);
      }
      const bS = adjointNorm(c, work);
      const bKernel = c * (cK * g + kappa * Math.min(cK * maxCurv * normX, Math.sqrt(weighted)));
      normB2 += bTheta * bTheta + bS * bS + bKernel * bKernel;
      const lipColumn = (c * kappa * kappa) / nu;
      const lipKernel = c * cK * kappa * (2 / nu + (PSI3 * kappa * xi) / (nu * nu));
      lip0 += lipColumn;
      lipB2 += 2 * lipColumn * lipColumn + lipKernel * lipKernel;
      lipAInv += (c * kappa ** 3 * PSI3) / (nu * nu);
    }
    const mu = h.strongConvexity;
    return {
      normB: Math.sqrt(normB2),
      lipB: Math.sqrt(lip0 * lip0 + lipB2),
      lipAInv: lipAInv / (mu * mu),
      certified: true,
    };
  };
}
