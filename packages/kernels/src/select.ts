/**
 * Backend selection: one option swaps the float64 reference for a gpu.js mode.
 * @module
 */
import { parseOrThrow, z } from '@bilevel/core';
import { BackendUnavailableError, GPUJS_MODES, type BackendMode, type ComputeBackend, type GpuJsMode } from './backend.js';
import { GpuJsBackend } from './gpujs/backend.js';
import { GPU_MODES, isModeAvailable } from './gpujs/runtime.js';
import { ReferenceBackend } from './reference-backend.js';

/** What {@link selectBackend} may be asked for. */
export type BackendPreference = 'auto' | 'reference' | 'gpu' | GpuJsMode;

/** Options of {@link selectBackend}. */
export interface SelectBackendOptions {
  /**
   * `auto` (default): a GPU mode when a GPU adapter answers, else the float64 reference;
   * `reference`; `gpu`: any GPU mode (an error when there is none, unless `allowFallback`);
   * or an explicit gpu.js mode (`cpu`, `webasm`, `webgpu`, `headlessgl`, `webgl2`, `webgl`).
   */
  readonly prefer?: BackendPreference;
  /**
   * Accept another mode than the one requested: gpu.js's own fallback (`gpu` → `webasm`, a kernel
   * degraded to `cpu`), or, when the requested mode cannot run at all, the `auto` choice.
   * Default false: such a fallback throws.
   */
  readonly allowFallback?: boolean;
  /** Let the fused `webasm` iteration use worker threads (default true). */
  readonly threads?: boolean;
  /** Compiled iteration plans kept per gpu.js backend (default 4). */
  readonly pipelineCache?: number;
}

const optionsSchema = z.strictObject({
  prefer: z.enum(['auto', 'reference', 'gpu', ...GPUJS_MODES]).default('auto'),
  allowFallback: z.boolean().default(false),
  threads: z.boolean().default(true),
  pipelineCache: z.number().int().positive().default(4),
});

/**
 * The GPU mode gpu.js would run on here, or `null` without a GPU: `webgpu` when
 * `await GPU.isWebGPUAvailable()` (an adapter answers), else the first supported of
 * `headlessgl`, `webgl2`, `webgl`.
 */
export async function detectGpuMode(): Promise<GpuJsMode | null> {
  for (const mode of GPU_MODES) if (await isModeAvailable(mode)) return mode;
  return null;
}

/** Every mode a backend can run in here: `reference`, `cpu`, `webasm` (when WebAssembly exists) and any GPU mode that answers. */
export async function availableModes(): Promise<BackendMode[]> {
  const modes: BackendMode[] = ['reference'];
  for (const mode of GPUJS_MODES) if (await isModeAvailable(mode)) modes.push(mode);
  return modes;
}

/**
 * Pick a {@link ComputeBackend}.
 *
 * Auto-selection rule: a GPU mode (`webgpu` if an adapter answers, else headless-gl / WebGL2 /
 * WebGL) when one can run, otherwise the float64 CPU reference — never gpu.js's `cpu` or
 * `webasm` modes, which are slower than the reference on a CPU (see the package README).
 * A requested mode that does not run as requested is an error ({@link BackendUnavailableError},
 * {@link SilentFallbackError}) unless `allowFallback: true`.
 */
export async function selectBackend(options: SelectBackendOptions = {}): Promise<ComputeBackend> {
  const o = parseOrThrow(optionsSchema, options, 'selectBackend options');
  const gpuOptions = { allowFallback: o.allowFallback, threads: o.threads, pipelineCache: o.pipelineCache };
  const auto = async (): Promise<ComputeBackend> => {
    const mode = await detectGpuMode();
    if (mode === null) return new ReferenceBackend();
    try {
      return await GpuJsBackend.create({ ...gpuOptions, mode });
    } catch {
      return new ReferenceBackend();
    }
  };
  switch (o.prefer) {
    case 'auto':
      return auto();
    case 'reference':
      return new ReferenceBackend();
    case 'gpu': {
      // gpu.js's own 'gpu' mode never picks webgpu; try it first
      const mode = (await isModeAvailable('webgpu')) ? 'webgpu' : 'gpu';
      return GpuJsBackend.create({ ...gpuOptions, mode });
    }
    default:
      try {
        return await GpuJsBackend.create({ ...gpuOptions, mode: o.prefer });
      } catch (e) {
        if (o.allowFallback && e instanceof BackendUnavailableError) return auto();
        throw e;
      }
  }
}
