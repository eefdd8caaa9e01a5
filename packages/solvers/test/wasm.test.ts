import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ShapeError } from '@bilevel/core';
import { assemble, wasmDir } from '@bilevel/tooling/wasm';
import { HuberTvKernel } from '../src/wasm/huber-tv-kernel.js';
import { wasmBase64 } from '../src/wasm/huber-tv.wasm.js';

describe('WebAssembly Huber-TV kernel', () => {
  it('the embedded binary is the assembled huber-tv.wat (run `pnpm wasm` after editing it)', async () => {
    const bytes = await assemble(join(wasmDir(join(dirname(fileURLToPath(import.meta.url)), '..')), 'huber-tv.wat'));
    expect(Buffer.from(wasmBase64, 'base64').equals(Buffer.from(bytes))).toBe(true);
  });

  it('its arrays are views of one memory, and b is copied in', () => {
    const b = Float64Array.from({ length: 12 }, (_, k) => k / 12);
    const kernel = new HuberTvKernel([1, 3, 4], b);
    expect(kernel.x.buffer).toBe(kernel.y.buffer);
    expect(kernel.y.length).toBe(24);
    expect(Array.from(kernel.b)).toEqual(Array.from(b));
    b[0] = 7;
    expect(kernel.b[0]).toBe(0);
  });

  it('without WebAssembly SIMD it says so and points to the generic Pdhg', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', { validate: () => false });
    try {
      const fresh = await import('../src/wasm/huber-tv-kernel.js');
      expect(() => new fresh.HuberTvKernel([1, 2, 2], new Float64Array(4))).toThrow(/needs WebAssembly with SIMD .*generic Pdhg/);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it('validates its shape and data length', () => {
    expect(() => new HuberTvKernel([1, 0, 3] as never, new Float64Array(0))).toThrow(/HuberTvKernel shape/);
    expect(() => new HuberTvKernel([1, 2, 3], new Float64Array(5))).toThrow(/HuberTvKernel b: expected length 6/);
  });

  it('refuses images beyond the 4 GiB a 32-bit instance can address, before allocating', () => {
    expect(() => new HuberTvKernel([1, 12000, 12000], new Float64Array(0))).toThrow(ShapeError);
    expect(() => new HuberTvKernel([1, 12000, 12000], new Float64Array(0))).toThrow(/generic Pdhg/);
  });
});
