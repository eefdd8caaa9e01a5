/**
 * The thin typed layer over gpu.js 2.24: which modes can run here, which mode a kernel or
 * pipeline actually ran in, and the layout conversions between channel-first `Float64Array`s
 * and gpu.js values.
 * @module
 */
import * as gpujs from 'gpu.js';
import {
  CPUKernel,
  GPU,
  HeadlessGLKernel,
  Input,
  WebAssemblyKernel,
  WebGL2Kernel,
  WebGLKernel,
  type IKernelRunShortcut,
  type IPipelineRunShortcut,
  type OutputDimensions,
} from 'gpu.js';
import type { GpuJsMode } from '../backend.js';

export { GPU };

/** gpu.js exports `WebGPUKernel` at runtime but its typings omit it. */
const { WebGPUKernel } = gpujs as unknown as { WebGPUKernel: { readonly isSupported: boolean } };
export type { IKernelRunShortcut as KernelShortcut, IPipelineRunShortcut as PipelineShortcut };

/** gpu.js modes that run on a GPU. */
export const GPU_MODES: readonly GpuJsMode[] = ['webgpu', 'headlessgl', 'webgl2', 'webgl'];

/** Whether gpu.js can construct kernels of `mode` here (synchronous check; `webgpu` needs an adapter too). */
export function isModeSupported(mode: GpuJsMode): boolean {
  switch (mode) {
    case 'cpu':
      return true;
    case 'webasm':
      return WebAssemblyKernel.isSupported;
    case 'webgpu':
      return WebGPUKernel.isSupported;
    case 'headlessgl':
      return HeadlessGLKernel.isSupported;
    case 'webgl2':
      return WebGL2Kernel.isSupported;
    case 'webgl':
      return WebGLKernel.isSupported;
  }
}

/**
 * Whether a GPU adapter answers: `await GPU.isWebGPUAvailable()` (requests an actual adapter) for
 * `webgpu`, the synchronous support checks for the GL modes.
 */
export async function isModeAvailable(mode: GpuJsMode): Promise<boolean> {
  if (mode === 'webgpu') return GPU.isWebGPUAvailable();
  return isModeSupported(mode);
}

/**
 * The mode a gpu.js kernel instance belongs to. GL kernels all report `gpu`, so the class
 * decides (most specific first: headless-gl and WebGL2 extend WebGL).
 */
export function modeOfKernelClass(k: unknown): GpuJsMode | 'unknown' {
  if (k === CPUKernel) return 'cpu';
  if (k === WebAssemblyKernel) return 'webasm';
  if (k === WebGPUKernel) return 'webgpu';
  if (k === HeadlessGLKernel) return 'headlessgl';
  if (k === WebGL2Kernel) return 'webgl2';
  if (k === WebGLKernel) return 'webgl';
  return 'unknown';
}

/** The mode the kernel behind a run shortcut actually runs in (after any fallback swap). */
export function modeOfShortcut(s: IKernelRunShortcut): GpuJsMode | 'unknown' {
  return modeOfKernelClass(s.kernel.constructor);
}

/** The mode a pipeline executed in: its `backend` (`gpu` for the GL family is resolved by `glMode`). */
export function modeOfPipeline(p: IPipelineRunShortcut, glMode: GpuJsMode): GpuJsMode | 'unknown' {
  const b = p.backend;
  if (b === 'gpu') return glMode;
  if (b === 'cpu' || b === 'webasm' || b === 'webgpu') return b;
  return 'unknown';
}

/** A gpu.js `Input` over float32 data of size `[W, H]` or `[W, H, Z]` (x fastest). */
export function input(data: Float32Array, size: OutputDimensions): Input {
  return new Input(data as unknown as number[], size);
}

/**
 * Copy a gpu.js result (a typed array, nested arrays of rows, or an `Input` handed back by a
 * pipeline) into `out` from `offset` in x-fastest order; returns the next offset.
 */
export function flattenInto(value: unknown, out: Float64Array, offset = 0): number {
  if (value instanceof Float32Array || value instanceof Float64Array) {
    out.set(value, offset);
    return offset + value.length;
  }
  if (value instanceof Input) return flattenInto(value.value, out, offset);
  if (Array.isArray(value)) {
    let o = offset;
    for (const v of value) o = flattenInto(v, out, o);
    return o;
  }
  if (typeof value === 'number') {
    out[offset] = value;
    return offset + 1;
  }
  throw new TypeError(`unexpected gpu.js result of type ${Object.prototype.toString.call(value)}`);
}
