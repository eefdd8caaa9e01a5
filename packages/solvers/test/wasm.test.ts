import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, vi } from 'vitest';
import { ShapeError } from '@bilevel/core';
import { assemble, wasmDir } from '@bilevel/tooling/wasm';
import { HuberTvKernel, type HuberTvParams } from '../src/wasm/huber-tv-kernel.js';
import { wasmBase64, wasmSharedBase64 } from '../src/wasm/huber-tv.wasm.js';

const params = (C: number, H: number, W: number, c = new Float64Array(C * H * W)): HuberTvParams => ({
  C,
  H,
  W,
  scale: 1,
  lambda: 1,
  c,
  constant: 0,
  alpha: 0.1,
  epsilon: 0.01,
  isotropic: true,
  loss: { scale: 1, target: new Float64Array(C * H * W) },
});

describe('WebAssembly Huber-TV kernel', () => {
  it('the embedded binaries are the assembled huber-tv.wat and its shared-memory variant (run `pnpm wasm` after editing it)', async () => {
    const wat = join(wasmDir(join(dirname(fileURLToPath(import.meta.url)), '..')), 'huber-tv.wat');
    expect(Buffer.from(wasmBase64, 'base64').equals(Buffer.from(await assemble(wat)))).toBe(true);
    expect(Buffer.from(wasmSharedBase64, 'base64').equals(Buffer.from(await assemble(wat, { shared: true })))).toBe(true);
  });

  it('its iterates are views of one memory, the data copied in; the adjoint arrays only with the adjoint', () => {
    const c = Float64Array.from({ length: 12 }, (_, k) => k / 12);
    const kernel = new HuberTvKernel(params(1, 3, 4, c), true);
    expect(kernel.x.buffer).toBe(kernel.y.buffer);
    expect(kernel.X.buffer).toBe(kernel.y.buffer);
    expect([kernel.y.length, kernel.Y.length, kernel.XPrev.length]).toEqual([24, 24, 12]);
    c[0] = 7;
    kernel.step(0.1, 0.1, 1);
    expect(kernel.x[0]).toBeCloseTo(0, 12); // (0 + τ div y + τc)/(1 + τ) with c₀ = 0, y = 0
    expect(new HuberTvKernel(params(1, 3, 4), false).X.length).toBe(0);
  });

  it('a released kernel refuses to step; its memory serves the next kernel as a fresh one would', () => {
    const c = Float64Array.from({ length: 63 }, (_, k) => Math.sin(k));
    const run = (k: HuberTvKernel): Float64Array => {
      for (let i = 0; i < 5; i++) k.step(0.3, 0.3, 1);
      k.certificate();
      return Float64Array.from([...k.x, ...k.y, ...k.X, ...k.Y]);
    };
    const first = new HuberTvKernel(params(1, 9, 11, Float64Array.from({ length: 99 }, (_, k) => Math.cos(k))), true);
    run(first);
    first.release();
    first.release();
    expect(() => first.step(0.3, 0.3, 1)).toThrow(/released/);
    expect(() => first.certificate()).toThrow(/released/);
    const reused = new HuberTvKernel(params(1, 7, 9, c), true);
    expect(reused.x.buffer).toBe(first.x.buffer);
    const fresh = new HuberTvKernel(params(1, 7, 9, c), true);
    expect(fresh.x.buffer).not.toBe(reused.x.buffer);
    expect(run(reused)).toEqual(run(fresh));
    reused.release();
    fresh.release();
  });

  it('without WebAssembly SIMD it says so and points to the generic composition', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', { validate: () => false });
    try {
      const fresh = await import('../src/wasm/huber-tv-kernel.js');
      expect(fresh.HuberTvKernel.available()).toBe(false);
      expect(() => new fresh.HuberTvKernel(params(1, 2, 2), false)).toThrow(/needs WebAssembly with SIMD .*generic composition/);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it('validates its data length', () => {
    expect(() => new HuberTvKernel(params(1, 2, 3, new Float64Array(5)), false)).toThrow(/HuberTvKernel c: expected length 6/);
  });

  it('refuses images beyond the 4 GiB a 32-bit instance can address, before allocating', () => {
    expect(() => new HuberTvKernel(params(1, 12000, 12000, new Float64Array(0)), false)).toThrow(ShapeError);
    expect(() => new HuberTvKernel(params(1, 12000, 12000, new Float64Array(0)), false)).toThrow(/generic composition/);
  });
});
