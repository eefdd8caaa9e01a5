/**
 * The functionals of the input-convex neural network (ICNN) in saddle form (activations, the
 * epigraph of the leaky ReLU and its conjugate, the hidden layer's conjugate, the dual term);
 * the ICNN regularizer itself lives in `@bilevel/models` (docs/math/icnn.md).
 * @module
 */
export {
  smoothRelu,
  smoothReluDerivative,
  smoothReluSecond,
  leakyRelu,
  leakyReluDerivative,
  leakyReluSecond,
  LeakyEpigraph,
  EpiPiece,
  projectLeakyReluEpigraph,
  type EpigraphProjection,
} from './activations.js';
export { LeakyReluEpigraph, LeakyReluEpigraphConjugate, type LeakyReluEpigraphOptions } from './epigraph.js';
export { SmoothReluSum, SmoothReluSumConjugate, type SmoothReluSumOptions } from './relu-layer.js';
export { IcnnDualTerm, IcnnPotential } from './dual-term.js';
