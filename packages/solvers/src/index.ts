/**
 * `@bilevel/solvers`: PDHG (plain, accelerated, linear-rate, diagonally preconditioned, and a
 * fused Huber-TV kernel), FISTA and gradient descent for strongly convex smooth problems, and
 * conjugate gradients, as resumable state machines (`init` / `step` / `certificate`) with
 * a-posteriori certificates and composable stopping criteria. See README.md for the formulas.
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
  createSaddleCertificateWorkspace,
  type SaddleCertificate,
  type SaddleCertificateOptions,
  type SaddleCertificateWorkspace,
} from './certificate.js';
export { Pdhg, type PdhgOptions, type PdhgState, type PdhgWork, type PdhgCertificate } from './pdhg.js';
export {
  HuberTvPdhg,
  gradientNorm,
  type HuberTvProblem,
  type HuberTvOptions,
  type HuberTvState,
  type HuberTvWork,
  type HuberTvCertificate,
} from './huber-tv.js';
export { HuberTvKernel, type StepScalars, type CertificateSums } from './wasm/huber-tv-kernel.js';
export {
  Fista,
  GradientDescent,
  type SmoothOptions,
  type SmoothState,
  type SmoothWork,
  type SmoothCertificate,
} from './smooth.js';
export {
  ConjugateGradient,
  cg,
  type SpdOperator,
  type CgProblem,
  type CgOptions,
  type CgCallOptions,
  type CgState,
  type CgWork,
  type CgCertificate,
  type CgResult,
} from './cg.js';
export {
  maxIterations,
  tolerance,
  wallTime,
  abortSignal,
  budget,
  anyOf,
  allOf,
  type StopContext,
  type StoppingCriterion,
} from './stopping.js';
export { run, type RunOptions, type RunResult, type HaltableState } from './run.js';
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
