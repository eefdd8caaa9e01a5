/**
 * `@bilevel/kernels`: the gpu.js backend (float32; `cpu`, `webasm`, `webgpu`, headless-gl /
 * WebGL) of the saddle-point lower level. Its fused PDHG + piggyback kernel registers in the
 * kernel registry of `@bilevel/core` as backend `gpujs-f32` ({@link GpuJsBackend.register}), so
 * `Pdhg` and `Piggyback` of `@bilevel/solvers` — the one engine — run it when asked for
 * `backend: 'gpujs-f32'` (never by `auto`); {@link GpuJsBackend.runSaddle} runs chunks of its
 * iterations with the state resident on the device (the `SaddleBackend` contract of
 * `@bilevel/core`). The hot primitives (stencils, filter banks, prox steps, reductions) are
 * gpu.js kernels too. The float64 reference is the engine's generic composition (`js-f64`).
 *
 * On a CPU-only machine the float64 engine is the faster one; gpu.js earns its place on a GPU
 * (see the README).
 * @packageDocumentation
 */
export {
  BackendUnavailableError,
  DisposedError,
  GPUJS_MODES,
  SilentFallbackError,
  type BackendResources,
  type GpuJsMode,
  type HuberConjOptions,
  type RunSaddleOptions,
  type SaddleResult,
  type SaddleState,
  type SaddleSteps,
} from './backend.js';
export { FILTER_BOUNDARIES, parseFilterBank, parseGrid, type FilterBank, type FilterBoundary, type Grid } from './grid.js';
export { GpuJsBackend, type GpuJsBackendOptions } from './gpujs/backend.js';
export { gpuJsSaddleParams, type GpuJsSaddleParams } from './gpujs/params.js';
export { liveGpuInstances } from './gpujs/live.js';
export { availableModes, detectGpuMode } from './modes.js';
