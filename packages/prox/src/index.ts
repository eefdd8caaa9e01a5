/**
 * `@bilevel/prox`: functionals with value, prox, conjugate, prox Jacobian, gradients and
 * derivatives with respect to their own parameters, and the calculus that combines them
 * (scaling, translation, separable sums, Moreau). The regularizers built from them live in
 * `@bilevel/models`.
 *
 * Conventions: `Float64Array` vectors, methods write into `out` and return it, inputs are
 * never mutated, `out === v` is allowed for `prox`, no allocation in `prox` / `proxJvp` /
 * `gradient` / `hvp`. Grouped functionals take `groupSize` G: group `j` is
 * `{j, j + N, …, j + (G−1)N}` with `N = n/G` (see `groups.ts`).
 * @packageDocumentation
 */
export { type GroupLayout, FEASIBILITY_RTOL } from './groups.js';
export { GroupedFunctional, type GroupedOptions } from './grouped.js';
export { GroupL21, L1, L2, type GroupL21Options, type L1Options, type L2Options } from './group-norm.js';
export { L2InfBall, LInfBall, type L2InfBallOptions, type LInfBallOptions } from './ball.js';
export { GroupHuber, Huber, type GroupHuberOptions, type HuberOptions } from './huber.js';
export { HuberConjugate, type HuberConjugateOptions } from './huber-conjugate.js';
export { SmoothAbs, smoothAbsRadius, type SmoothAbsOptions } from './smooth-abs.js';
export { SquaredL2, type SquaredL2Options } from './squared-l2.js';
export { Box, BoxSupport, NonNegative, type BoxOptions, type NonNegativeOptions } from './box.js';
export {
  QuadraticFidelity,
  QuadraticFidelityConjugate,
  type QuadraticFidelityOptions,
  type QuadraticModel,
} from './quadratic-fidelity.js';
export { SeparableSum } from './separable-sum.js';
export {
  TransformedFunctional,
  scale,
  argScale,
  translate,
  addQuadratic,
  addLinear,
  type Transform,
} from './transformed.js';
export { MoreauConjugate, MoreauEnvelope, conjugateByMoreau, moreauEnvelope, type HasConjugateValue } from './moreau.js';
export { CAPABILITY_METHODS, hasMethod, hideMissing, type AnyFunctional, type CapabilityMethod } from './capabilities.js';
export { normOf, normBound } from './norm-bound.js';
export * from './icnn/index.js';
