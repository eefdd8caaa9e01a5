/**
 * `@bilevel/solvers`: the PDHG engine (plain, accelerated, linear-rate, diagonally preconditioned)
 * with fused kernels registered by problem description (WebAssembly Huber-TV, filter banks), the piggyback
 * solver, FISTA and gradient descent for strongly convex smooth problems, as resumable state
 * machines (`init` / `step` / `certificate`) with a-posteriori certificates.
 * They run with the run loop and the stopping criteria of `@bilevel/core` (`run`, `tolerance`,
 * `maxIterations`, `anyOf`, …), which also holds conjugate gradients. See README.md for the
 * formulas.
 * @packageDocumentation
 */
export {
  pdhgSteps,
  acceleratedTheta,
  type PdhgScheme,
  type PdhgStepOptions,
  type PdhgPreconditioning,
  type PdhgStepInput,
  type PdhgSteps,
  type ResolvedNorm,
} from './steps.js';
export {
  saddleCertificate,
  saddleDistances,
  createSaddleCertificateWorkspace,
  type SaddleCertificate,
  type SaddleCertificateParts,
  type SaddleCertificateOptions,
  type SaddleCertificateWorkspace,
} from './certificate.js';
export { Pdhg, type PdhgOptions, type PdhgState, type PdhgWork, type GenericPdhgWork, type PdhgCertificate } from './pdhg.js';
export { primalDualUpdate, proxSteps, type PrimalDualMaps, type PrimalDualArrays, type PrimalDualSteps } from './primal-dual.js';
export {
  Piggyback,
  adjointCertificate,
  meetsTolerances,
  piggybackTolerance,
  type PiggybackProblem,
  type PiggybackOptions,
  type PiggybackState,
  type PiggybackWork,
  type PiggybackAdjointWork,
  type PiggybackCertificate,
  type AdjointCertificateInput,
  type AdjointCertificateWorkspace,
} from './piggyback.js';
export { HuberTvKernel, huberTvThreads, MIN_PIXELS_PER_THREAD, type HuberTvParams, type HuberTvSums } from './wasm/huber-tv-kernel.js';
export { SeparableHuberKernel, type SeparableHuberParams } from './separable-huber-kernel.js';
export {
  describedHuberConjugate,
  describedQuadratic,
  describedScale,
  describedSquaredError,
  huberTvParams,
  filterBankHuberParams,
  registerBuiltinKernels,
  selectKernel,
  kernelChoiceSchema,
  MAX_THREADS,
  type FusedSaddleKernel,
  type FusedKernelFactory,
  type FusedKernelOptions,
  type EngineAlgorithm,
  type KernelChoice,
} from './kernels.js';
export {
  Fista,
  GradientDescent,
  smoothTolerance,
  type SmoothOptions,
  type SmoothState,
  type SmoothWork,
  type SmoothCertificate,
} from './smooth.js';
export {
  serializeState,
  restoreState,
  snapshotToJson,
  snapshotFromJson,
  type StateSnapshot,
  type JsonSnapshot,
  type JsonVec,
} from './state.js';
export type { DiagonalProximable } from './internal.js';
