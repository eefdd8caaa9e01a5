/**
 * `huber-tv`: Huber total variation in saddle form with the weight inside the operator,
 * `R_θ(x) = Σ_j Huber_ε(‖(e^{θ₀}∇x)_j‖)`, `K_θ = e^{θ₀}∇`, `f = Huber_ε`,
 * `f*(y) = (ε/2)‖y‖² + ι{‖y_j‖ ≤ 1}` (μ_f* = ε): θ lives in `K`, so the piggyback bound of
 * arXiv 2412.06436 (Theorem 2) covers it (docs/math/error-bound.md).
 * @module
 */
import { z } from '@bilevel/core';
import { HuberConjugate } from '@bilevel/prox';
import { thetaLayout } from '../layout.js';
import { makeModel } from '../model.js';
import { defineModelKind } from '../registry.js';
import { logParameter, positiveOption, scaledGradient, tvMode } from '../schemas.js';

const layout = thetaLayout([{ name: 'log_weight', size: 1, link: 'exp', description: 'log of the weight e^θ₀ in K = e^θ₀∇' }]);

/** The `huber-tv` kind. */
export const huberTv = defineModelKind({
  kind: 'huber-tv',
  summary: 'Huber-TV Σ Huber_ε(e^θ₀∇x), saddle form K = e^θ₀∇ (piggyback)',
  options: z.strictObject({
    huber: positiveOption.default(0.05).describe('Huber smoothing ε of the potential; fixed. The threshold on |∇x| is ε/e^θ₀.'),
    mode: tvMode
      .default('isotropic')
      .describe('Grouping of the differences: "isotropic" (per pixel and channel, the default), "anisotropic" (each difference alone) or "vectorial" (all channels of a pixel).'),
    boundary: z.enum(['neumann', 'periodic']).default('neumann').describe('Boundary rule of the gradient.'),
  }),
  init: z.strictObject({
    logWeight: logParameter.default(-3).describe('θ₀: the regularisation weight is e^θ₀ (K = e^θ₀∇).'),
  }),
  layout: () => layout,
  initialTheta: (_o, init) => Float64Array.of(init.logWeight),
  build(o, shape) {
    const { K, groupSize } = scaledGradient(shape, o.mode, o.boundary);
    const fStar = new HuberConjugate({ shape: K.range, groupSize: groupSize, alpha: 1, epsilon: o.huber });
    return makeModel({
      kind: 'huber-tv',
      options: o,
      shape,
      layout,
      params: K.params,
      setParams: (theta) => K.setParams(theta),
      saddle: { K, fStar, f: fStar.conjugate(), trainable: true },
      formula: `Σ Huber_ε(e^θ₀ ∇x), ε = ${o.huber} (${o.mode} Huber-TV, saddle form K = e^θ₀∇)`,
    });
  },
  report: (o, theta) => ({ 'weight e^θ₀': Math.exp(theta[0]!), 'Huber threshold on ∂x: ε/e^θ₀': o.huber / Math.exp(theta[0]!) }),
});
