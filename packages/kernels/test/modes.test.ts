/**
 * Modes: what runs here, explicit modes, gpu.js's silent fallbacks (at construction and per
 * kernel) as errors unless `allowFallback`, option validation, and registration of the fused
 * kernels only on request.
 */
import { kernelRegistry, ValidationError } from '@bilevel/core';
import { BackendUnavailableError, GpuJsBackend, SilentFallbackError, availableModes, detectGpuMode } from '@bilevel/kernels';
import { WebAssemblyKernel } from 'gpu.js';
import { afterEach, describe, expect, it, vi } from 'vitest';

const hasGpu = (await detectGpuMode()) !== null;
const hasWebasm = (await availableModes()).includes('webasm');
const opened: GpuJsBackend[] = [];
const open = async (b: Promise<GpuJsBackend>): Promise<GpuJsBackend> => {
  const r = await b;
  opened.push(r);
  return r;
};

afterEach(async () => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  for (const b of opened.splice(0)) await b.dispose();
});

describe.skipIf(hasGpu)('on a machine without a GPU adapter', () => {
  it('no GPU mode is detected; cpu (and webasm) are available', async () => {
    expect(await detectGpuMode()).toBeNull();
    expect(await availableModes()).toEqual(hasWebasm ? ['cpu', 'webasm'] : ['cpu']);
  });

  it('a WebGPU API without an adapter is no GPU: webgpu is unavailable', async () => {
    vi.stubGlobal('navigator', { gpu: { requestAdapter: async () => null } });
    expect(await detectGpuMode()).toBeNull();
    await expect(GpuJsBackend.create({ mode: 'webgpu' })).rejects.toThrow(BackendUnavailableError);
  });

  it('headless-gl and WebGL2 (not built here) are unavailable', async () => {
    await expect(GpuJsBackend.create({ mode: 'headlessgl' })).rejects.toThrow(/headlessgl/);
    await expect(GpuJsBackend.create({ mode: 'webgl2' })).rejects.toThrow(BackendUnavailableError);
  });

  it.skipIf(!hasWebasm)("'gpu' is gpu.js's silent fallback to webasm: an error unless allowFallback", async () => {
    await expect(GpuJsBackend.create({ mode: 'gpu' })).rejects.toThrow(SilentFallbackError);
    await expect(GpuJsBackend.create({ mode: 'gpu' })).rejects.toThrow(/chose 'webasm'/);
    const b = await open(GpuJsBackend.create({ mode: 'gpu', allowFallback: true }));
    expect(b.mode).toBe('webasm');
    expect(b.requestedMode).toBe('gpu');
    expect(b.fallbacks[0]).toMatch(/webasm/);
  });
});

describe('explicit gpu.js modes', () => {
  it('cpu and webasm report the mode that runs', async () => {
    const cpu = await open(GpuJsBackend.create({ mode: 'cpu' }));
    expect(cpu.mode).toBe('cpu');
    expect(cpu.precision).toBe('float32');
    if (hasWebasm) expect((await open(GpuJsBackend.create({ mode: 'webasm' }))).mode).toBe('webasm');
  });

  it.skipIf(!hasWebasm)('a kernel gpu.js degrades to cpu at run time is an error unless allowFallback', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    // force gpu.js's own fallback path: the webasm build declines, the kernel is swapped to cpu
    vi.spyOn(WebAssemblyKernel.prototype as unknown as { translateSource(): boolean }, 'translateSource').mockReturnValue(false);
    const x = new Float64Array([1, 2, 4, 8, 16, 32]);
    const grid = { height: 2, width: 3 };
    const strict = await open(GpuJsBackend.create({ mode: 'webasm' }));
    await expect(strict.gradient(x, grid)).rejects.toThrow(SilentFallbackError);
    await expect(strict.gradient(x, grid)).rejects.toThrow(/ran in mode 'cpu' instead of 'webasm'/);
    const lenient = await open(GpuJsBackend.create({ mode: 'webasm', allowFallback: true }));
    const g = await lenient.gradient(x, grid);
    expect(Array.from(g)).toEqual([1, 2, 0, 8, 16, 0, 7, 14, 28, 0, 0, 0]);
    expect(lenient.mode).toBe('cpu');
    expect(lenient.fallbacks.join('\n')).toMatch(/return type/);
  });

  it('rejects unknown modes and bad options', async () => {
    await expect(GpuJsBackend.create({ mode: 'cuda' as never })).rejects.toThrow(ValidationError);
    await expect(GpuJsBackend.create({ mode: 'cpu', pipelineCache: 0 })).rejects.toThrow(/pipelineCache/);
  });

  it('its fused kernels join the registry on register() only, and leave it on unregister or dispose', async () => {
    const b = await open(GpuJsBackend.create({ mode: 'cpu' }));
    const ours = (): string[] => kernelRegistry.list().filter((k) => k.name === 'gpujs-cpu').map((k) => `${k.algorithm}/${k.backend}`);
    expect(ours()).toEqual([]);
    const unregister = b.register();
    expect(ours().sort()).toEqual(['pdhg/gpujs-f32', 'piggyback/gpujs-f32']);
    unregister();
    expect(ours()).toEqual([]);
    b.register();
    await b.dispose();
    expect(ours()).toEqual([]);
    expect(() => b.register()).toThrow(/disposed/);
  });
});
