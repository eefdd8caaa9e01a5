/**
 * The input-convex neural network (ICNN) regularizer and its saddle form for PDHG and the
 * piggyback hypergradient (arXiv 2412.06436; research note piggyback-pdhg.md §3.3–3.5).
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
export { PooledDense, type PooledDenseOptions } from './pooled-dense.js';
export { IcnnLiftedOperator } from './lifted-operator.js';
export { IcnnRegularizer, type IcnnOptions, type IcnnParamLayout } from './regularizer.js';
export { IcnnDualTerm, IcnnPotential } from './dual-term.js';
export { icnnSaddleModel, icnnImageLoss, type IcnnModelOptions, type IcnnSaddleModel, type ImageLoss } from './model.js';
