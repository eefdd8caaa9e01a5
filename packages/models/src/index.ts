/**
 * `@bilevel/models`: regularizers as data. A model is `{ kind, options, theta }`; the
 * {@link models} registry maps each kind to its options schema, θ layout, default
 * initialisations and builder, so any process rebuilds the same model from its JSON. A
 * {@link VariationalModel} is one regularizer on images of a shape, with its saddle form (PDHG,
 * piggyback) and/or smooth form (FISTA, implicit differentiation); a {@link TrainingSet} pairs it
 * with (degraded, clean) samples and their data operators for the hypergradient oracles.
 * @packageDocumentation
 */
import { builtinKinds } from './kinds/index.js';
import { ModelRegistry } from './registry.js';

export { thetaLayout, type Link, type ThetaBlock, type ThetaLayout } from './layout.js';
export { modelSpecSchema, parseModelSpec, modelToJson, modelFromJson, type ModelSpec } from './spec.js';
export {
  imageDataTerm,
  liftedDataTerm,
  makeModel,
  type DataSpec,
  type Lifting,
  type ModelParts,
  type SaddleRegularizer,
  type SmoothRegularizer,
  type ThetaProjection,
  type VariationalModel,
} from './model.js';
export { ModelRegistry, defineModelKind, type AnyModelKind, type Experts, type FilterBank, type InitContext, type ModelKind } from './registry.js';
export { saddleReconstruction, smoothReconstruction, measurementImage, type SaddleReconstruction, type SmoothReconstruction } from './problem.js';
/** Per-sample data operators as data (defined in `@bilevel/operators`, re-exported for the training sets built here). */
export { dataOperator, dataOperatorSpecSchema, type DataOperatorSpec } from '@bilevel/operators';
export { TrainingSet, imageLoss, type TrainingSample, type TrainingSetOptions } from './training-set.js';
export { logParameter, positiveOption, nonNegativeOption, initScale, oddSize, tvGroupSize } from './schemas.js';
export { builtinKinds } from './kinds/index.js';
export { smoothedTvBoundConstants, PSI3 } from './kinds/smooth-tv.js';
export { fieldsOfExpertsBoundConstants } from './kinds/foe-bound.js';
export * from './regularizers/index.js';
export { IcnnRegularizer, type IcnnHiddenLayer, type IcnnOptions, type IcnnParamLayout } from './icnn/regularizer.js';
export { icnnModel, tvStartHiddenWeight, type TvStartOptions } from './kinds/icnn.js';
export { expertStart, expertsSchema } from './kinds/expert-start.js';
export { IcnnLiftedOperator } from './icnn/lifted-operator.js';
export { PooledDense, type PooledDenseOptions } from './icnn/pooled-dense.js';

/** The registry of the built-in kinds ({@link builtinKinds}, listed in `src/kinds/index.ts`). */
export const models: ModelRegistry = new ModelRegistry(builtinKinds);
