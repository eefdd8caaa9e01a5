/**
 * Backend selection: the auto rule, explicit modes, gpu.js's silent fallbacks (at construction
 * and per kernel) as errors unless `allowFallback`, and option validation.
 */
import { ValidationError } from '@bilevel/core';
import {
  BackendUnavailableError,
  GpuJsBackend,
  ReferenceBackend,
  SilentFallbackError,
  availableModes,
  detectGpuMode,
  selectBackend,
  type ComputeBackend,
} from '@bilevel/kernels';
import { WebAssemblyKernel } from 'gpu.js';
import { afterEach, describe, expect, it, vi } from 'vitest';

const hasGpu = (await detectGpuMode()) !== null;
const hasWebasm = (await availableModes()).includes('webasm');
const opened: ComputeBackend[] = [];
const open = async (b: Promise<ComputeBackend>): Promise<ComputeBackend> => {
  const r = await b;
  opened.push(r);
  return r;
};

afterEach(async () => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  for (const b of opened.splice(0)) await b.dispose();
});

describe.skipIf(hasGpu)('selection on a machine without a GPU adapter', () => {
  it('auto picks the float64 reference', async () => {
    const b = await open(selectBackend());
    expect(b).toBeInstanceOf(ReferenceBackend);
    expect(b.mode).toBe('reference');
    expect(b.precision).toBe('float64');
    expect(await detectGpuMode()).toBeNull();
  });

  it('a WebGPU API without an adapter is no GPU: auto stays on the reference, webgpu is unavailable', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
    expect(await detectGpuMode()).toBeNull();
    expect(await open(selectBackend())).toBeInstanceOf(ReferenceBackend);
    await expect(selectBackend({ prefer: 'webgpu' })).rejects.toThrow(BackendUnavailableError);
    expect(await open(selectBackend({ prefer: 'webgpu', allowFallback: true }))).toBeInstanceOf(ReferenceBackend);
  });

  it('headless-gl (not built here) is unavailable; allowFallback falls back to the auto choice', async () => {
    await expect(selectBackend({ prefer: 'headlessgl' })).rejects.toThrow(/headlessgl/);
    await expect(selectBackend({ prefer: 'webgl2' })).rejects.toThrow(BackendUnavailableError);
    expect(await open(selectBackend({ prefer: 'headlessgl', allowFallback: true }))).toBeInstanceOf(ReferenceBackend);
  });

  it.skipIf(!hasWebasm)("'gpu' is gpu.js's silent fallback to webasm: an error unless allowFallback", async () => {
    await expect(selectBackend({ prefer: 'gpu' })).rejects.toThrow(SilentFallbackError);
    await expect(selectBackend({ prefer: 'gpu' })).rejects.toThrow(/chose 'webasm'/);
    const b = (await open(selectBackend({ prefer: 'gpu', allowFallback: true }))) as GpuJsBackend;
    expect(b).toBeInstanceOf(GpuJsBackend);
    expect(b.mode).toBe('webasm');
    expect(b.requestedMode).toBe('gpu');
    expect(b.fallbacks[0]).toMatch(/webasm/);
  });
});

describe('explicit gpu.js modes', () => {
  it('cpu and webasm report the mode that runs', async () => {
    const cpu = await open(selectBackend({ prefer: 'cpu' }));
    expect(cpu.mode).toBe('cpu');
    expect(cpu.precision).toBe('float32');
    if (hasWebasm) expect((await open(selectBackend({ prefer: 'webasm' }))).mode).toBe('webasm');
  });

  it.skipIf(!hasWebasm)('a kernel gpu.js degrades to cpu at run time is an error unless allowFallback', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    // force gpu.js's own fallback path: the webasm build declines, the kernel is swapped to cpu
    vi.spyOn(WebAssemblyKernel.prototype as unknown as { translateSource(): boolean }, 'translateSource').mockReturnValue(false);
    const x = new Float64Array([1, 2, 4, 8, 16, 32]);
    const grid = { height: 2, width: 3 };
    const strict = await open(selectBackend({ prefer: 'webasm' }));
    await expect(strict.gradient(x, grid)).rejects.toThrow(SilentFallbackError);
    await expect(strict.gradient(x, grid)).rejects.toThrow(/ran in mode 'cpu' instead of 'webasm'/);
    const lenient = (await open(selectBackend({ prefer: 'webasm', allowFallback: true }))) as GpuJsBackend;
    const g = await lenient.gradient(x, grid);
    expect(Array.from(g)).toEqual([1, 2, 0, 8, 16, 0, 7, 14, 28, 0, 0, 0]);
    expect(lenient.mode).toBe('cpu');
    expect(lenient.fallbacks.join('\n')).toMatch(/return type/);
  });

  it('rejects unknown preferences', async () => {
    await expect(selectBackend({ prefer: 'cuda' as never })).rejects.toThrow(ValidationError);
    await expect(selectBackend({ prefer: 'cpu', pipelineCache: 0 })).rejects.toThrow(/pipelineCache/);
  });
});
