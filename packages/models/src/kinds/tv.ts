/**
 * `tv`: total variation `R_θ(x) = Σ_j ‖(e^{θ₀}∇x)_j‖` (Rudin–Osher–Fatemi; the isotropic form of
 * Chambolle 2004) in saddle form `K_θ = e^{θ₀}∇`, `f = ‖·‖_{2,1}`, `f* = ι{‖y_j‖ ≤ 1}`. `f*` is not
 * strongly convex, so reconstructions are certified by the gap (docs/math/certificates.md) and
 * piggyback gives no error bound.
 * @module
 */
import { z } from '@bilevel/core';
import { L2InfBall } from '@bilevel/prox';
import { thetaLayout } from '../layout.js';
import { makeModel } from '../model.js';
import { defineModelKind } from '../registry.js';
import { logParameter, scaledGradient, tvMode } from '../schemas.js';

const layout = thetaLayout([{ name: 'log_weight', size: 1, link: 'exp', description: 'log of the weight e^θ₀ in K = e^θ₀∇' }]);

/** The `tv` kind. */
export const tv = defineModelKind({
  kind: 'tv',
  summary: 'total variation Σ ‖e^θ₀∇x‖, saddle form K = e^θ₀∇ (PDHG; no piggyback bound)',
  options: z.strictObject({
    mode: tvMode
      .default('isotropic')
      .describe('Grouping of the differences: "isotropic" (per pixel and channel), "anisotropic" or "vectorial" (all channels of a pixel).'),
    boundary: z.enum(['neumann', 'periodic']).default('neumann').describe('Boundary rule of the gradient.'),
  }),
  init: z.strictObject({
    logWeight: logParameter.default(Math.log(0.1)).describe('θ₀: the regularisation weight is e^θ₀.'),
  }),
  layout: () => layout,
  initialTheta: (_o, init) => Float64Array.of(init.logWeight),
  build(o, shape) {
    const { K, groupSize } = scaledGradient(shape, o.mode, o.boundary);
    const fStar = new L2InfBall({ shape: K.range, groupSize: groupSize, radius: 1 });
    return makeModel({
      kind: 'tv',
      options: o,
      shape,
      layout,
      params: K.params,
      setParams: (theta) => K.setParams(theta),
      // f = ‖·‖_{2,1} has no gradient: certificates take its values from f*'s conjugate (the gap).
      saddle: { K, fStar, trainable: true },
      formula: `e^θ₀ Σ ‖∇x‖ (${o.mode} TV, saddle form K = e^θ₀∇)`,
    });
  },
  report: (_o, theta) => ({ 'weight e^θ₀': Math.exp(theta[0]!) }),
});
