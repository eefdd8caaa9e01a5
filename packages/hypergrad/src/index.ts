/**
 * `@bilevel/hypergrad`: hypergradient estimators behind one oracle contract
 * (`HypergradientOracle` of `@bilevel/core`), each with an a-posteriori error bound:
 * piggyback differentiation of PDHG (arXiv 2412.06436), implicit differentiation with CG (MAID,
 * arXiv 2308.10098), unrolled reverse mode, and finite differences.
 * @packageDocumentation
 */
export * from './loss.js';
export * from './saddle-bound.js';
export * from './piggyback.js';
export * from './finite-difference.js';
export {
  validateQuery,
  validateTolerances,
  meanLoss,
  meanGradient,
  reduceLoss,
  reduceGradient,
  sampleLossEstimate,
  sampleGradientEstimate,
  type SampleLoss,
  type SampleGradient,
  type SampleLossEstimate,
  type SampleGradientEstimate,
} from './batch.js';
export * from './implicit.js';
export * from './unrolled.js';
