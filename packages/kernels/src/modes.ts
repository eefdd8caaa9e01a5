/**
 * Which gpu.js modes run here.
 * @module
 */
import { GPUJS_MODES, type GpuJsMode } from './backend.js';
import { GPU_MODES, isModeAvailable } from './gpujs/runtime.js';

/**
 * The GPU mode gpu.js would run on here, or `null` without a GPU: `webgpu` when
 * `await GPU.isWebGPUAvailable()` (an adapter answers), else the first supported of
 * `headlessgl`, `webgl2`, `webgl`.
 */
export async function detectGpuMode(): Promise<GpuJsMode | null> {
  for (const mode of GPU_MODES) if (await isModeAvailable(mode)) return mode;
  return null;
}

/** Every gpu.js mode that runs here: `cpu`, `webasm` (when WebAssembly exists) and any GPU mode that answers. */
export async function availableModes(): Promise<GpuJsMode[]> {
  const modes: GpuJsMode[] = [];
  for (const mode of GPUJS_MODES) if (await isModeAvailable(mode)) modes.push(mode);
  return modes;
}
