/**
 * `@bilevel/operators`: linear operators with exact adjoints, norms with their provenance and
 * parameter derivatives (`paramVjp`), for the lower-level problems of bilevel learning.
 *
 * - elementwise: {@link Identity}, {@link ScalarMultiple} (learnable), {@link Diagonal};
 * - {@link DenseMatrix} (learnable entries);
 * - {@link Gradient2D}: forward differences, Neumann or periodic; adjoint `−div`;
 * - {@link ConvFilterBank} (learnable kernels) and {@link Convolution2D} (fixed, per channel;
 *   blur with {@link gaussianKernel}, {@link boxKernel}, {@link motionKernel}), boundary rules
 *   `zero`, `symmetric`, `reflect`, `periodic`, and `valid` for filter banks;
 * - sampling: {@link Mask}, {@link Subsample}, {@link Crop}, {@link ZeroPad}, {@link AvgPool};
 * - algebra: {@link compose}, {@link sum}, {@link scaled}, {@link vstack}, {@link blockDiag},
 *   {@link transpose};
 * - data operators as data ({@link DataOperatorSpec}: identity, convolution, mask) and the
 *   operator each describes ({@link dataOperator}), what training samples carry to workers.
 *
 * Shapes are `[C, H, W]`, row-major, channels first. Every operator validates its options at
 * construction and the lengths of its arguments once per call (see each class for aliasing).
 * @packageDocumentation
 */
export { Identity, ScalarMultiple, Diagonal, ElementwiseProduct } from './elementwise.js';
export { DenseMatrix } from './dense.js';
export { Gradient2D, type Gradient2DOptions, type GradientBoundary } from './gradient.js';
export { boundaryIndex, BoundaryExtension, type ConvBoundary } from './boundary.js';
export {
  ConvFilterBank,
  Convolution2D,
  type FilterBankBoundary,
  type FilterBankBackend,
  type ConvFilterBankOptions,
  type Convolution2DOptions,
} from './convolution.js';
export { BANK_BOUNDARIES as FILTER_BANK_BOUNDARIES } from './validate.js';
export { gaussianKernel, boxKernel, motionKernel } from './kernels.js';
export {
  Mask,
  Subsample,
  Crop,
  GridGather,
  ZeroPad,
  AvgPool,
  type ImageSizeOptions,
  type SubsampleOptions,
  type CropOptions,
  type ZeroPadOptions,
  type AvgPoolOptions,
} from './sampling.js';
export {
  compose,
  sum,
  scaled,
  vstack,
  blockDiag,
  transpose,
  Combinator,
  ParametricCombinator,
  Composition,
  Sum,
  Scaled,
  VStack,
  BlockDiag,
  Transpose,
  type Combined,
} from './algebra.js';
export { NORM_ESTIMATE_OPTIONS, WithNorm, withNorm } from './norms.js';
export { ForwardingOperator } from './forwarding.js';
export { ExpScaledOperator } from './exp-scaled.js';
export { dataOperator, dataOperatorSpecSchema, type DataOperatorSpec } from './data-operator.js';
