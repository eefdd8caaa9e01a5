/**
 * `@bilevel/kernels`: the hot primitives of the saddle-point lower level (forward-difference
 * gradient / divergence, filter banks, the prox steps and prox Jacobians of the built-in
 * functionals, axpby and tree reductions) and a fused PDHG + piggyback solve, behind one
 * asynchronous {@link ComputeBackend} contract with two implementations: a float64 JavaScript
 * reference and gpu.js 2.24 (float32; `cpu`, `webasm`, `webgpu`, headless-gl / WebGL).
 *
 * On a CPU-only machine the float64 reference is the faster one and is what
 * {@link selectBackend} picks; gpu.js earns its place on a GPU (see the README).
 * @packageDocumentation
 */
export {
  BackendUnavailableError,
  DisposedError,
  GPUJS_MODES,
  SilentFallbackError,
  type BackendMode,
  type BackendPrecision,
  type BackendResources,
  type ComputeBackend,
  type GpuJsMode,
  type HuberConjOptions,
  type RunSaddleOptions,
  type SaddleResult,
  type SaddleState,
} from './backend.js';
export {
  FILTER_BOUNDARIES,
  dualChannels,
  operatorNorm,
  parseFilterBank,
  parseGrid,
  parseSaddleSpec,
  parseSaddleSteps,
  saddleSteps,
  type SaddleFilterBank,
  type FilterBoundary,
  type Grid,
  type OperatorSpec,
  type SaddleSpec,
  type SaddleSpecInput,
  type SaddleSteps,
} from './spec.js';
export { hypergradientSize, saddleHypergradient, saddleLoss } from './hypergradient.js';
export { ReferenceBackend } from './reference-backend.js';
export { GpuJsBackend, type GpuJsBackendOptions } from './gpujs/backend.js';
export { liveGpuInstances } from './gpujs/live.js';
export { availableModes, detectGpuMode, selectBackend, type BackendPreference, type SelectBackendOptions } from './select.js';
