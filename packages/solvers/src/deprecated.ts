/**
 * Names this package exported before the run loop and its stopping criteria moved to
 * `@bilevel/core`; the same functions, kept so that existing imports compile.
 * @module
 */
import { anyOf as coreAnyOf, maxIterations as coreMaxIterations, run as coreRun, tolerance as coreTolerance } from '@bilevel/core';

/**
 * The run loop of `@bilevel/core`.
 * @deprecated Import `run` from `@bilevel/core`.
 */
export const run: typeof coreRun = coreRun;
/**
 * The `anyOf` stopping criterion of `@bilevel/core`.
 * @deprecated Import `anyOf` from `@bilevel/core`.
 */
export const anyOf: typeof coreAnyOf = coreAnyOf;
/**
 * The `maxIterations` stopping criterion of `@bilevel/core`.
 * @deprecated Import `maxIterations` from `@bilevel/core`.
 */
export const maxIterations: typeof coreMaxIterations = coreMaxIterations;
/**
 * The `tolerance` stopping criterion of `@bilevel/core`.
 * @deprecated Import `tolerance` from `@bilevel/core`.
 */
export const tolerance: typeof coreTolerance = coreTolerance;
