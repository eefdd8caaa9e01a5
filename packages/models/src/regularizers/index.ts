/**
 * The analysis regularizers `R_θ(x) = φ_θ(K_θx)` the kinds are built from.
 * @module
 */
export { ParamMap, type ExpLink, type ParamMapLayout } from './param-map.js';
export { FixedOperator, fixedOperator } from './fixed-operator.js';
export {
  AnalysisRegularizer,
  RegularizerSmooth,
  SmoothObjective,
  smoothObjective,
  type AnalysisParts,
  type DualTerm,
  type LearnablePart,
  type SaddleForm,
  type SaddlePartGradients,
  type SaddlePotential,
  type SmoothObjectiveOptions,
  type SmoothPotential,
} from './analysis.js';
export {
  TotalVariation,
  HuberTV,
  SmoothedTV,
  type TvMode,
  type TvBaseOptions,
  type TotalVariationOptions,
  type HuberTVOptions,
  type SmoothedTVOptions,
} from './total-variation.js';
export { FieldsOfExperts, type FieldsOfExpertsOptions } from './fields-of-experts.js';
export { PotentialDifference } from './potential-difference.js';
