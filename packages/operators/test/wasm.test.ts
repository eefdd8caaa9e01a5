// The WebAssembly filter-bank kernel: its embedded binary is the assembled source, it is used
// by default where WebAssembly SIMD exists, the JavaScript loops take over without it (or
// when the arrays exceed a 32-bit memory), and it agrees with the JavaScript loops to rounding
// on odd sizes, every kernel size, channel and filter count and boundary rule.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng, ShapeError, shapeSize } from '@bilevel/core';
import { assemble, wasmDir } from '@bilevel/tooling/wasm';
import { ConvFilterBank, type FilterBankBoundary } from '@bilevel/operators';
import { describe, expect, it, vi } from 'vitest';
import { wasmBase64 } from '../src/wasm/filter-bank.wasm.js';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/** `max|a − b| / max|b|`, the error relative to the result's scale. */
const relError = (a: Float64Array, b: Float64Array): number => {
  let d = 0;
  let s = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return s > 0 ? d / s : d;
};

describe('WebAssembly filter-bank kernel', () => {
  it('the embedded binary is the assembled filter-bank.wat (run `pnpm wasm` after editing it)', async () => {
    const bytes = await assemble(join(wasmDir(packageDir), 'filter-bank.wat'));
    expect(Buffer.from(wasmBase64, 'base64').equals(Buffer.from(bytes))).toBe(true);
  });

  it('is the default where WebAssembly SIMD exists', () => {
    const K = new ConvFilterBank({ inChannels: 1, outChannels: 2, height: 4, width: 4, kernelSize: 3 });
    expect(K.backend).toBe('wasm');
    expect(new ConvFilterBank({ inChannels: 1, outChannels: 2, height: 4, width: 4, kernelSize: 3, backend: 'js' }).backend).toBe('js');
  });

  it('without WebAssembly SIMD: auto runs the JavaScript loops, wasm says what to use instead', async () => {
    vi.resetModules();
    vi.stubGlobal('WebAssembly', { validate: () => false });
    try {
      const fresh = await import('@bilevel/operators');
      const freshCore = await import('@bilevel/core');
      const options = { inChannels: 1, outChannels: 2, height: 5, width: 4, kernelSize: 3, kernels: Rng.seeded(1).normalVec(18) };
      const K = new fresh.ConvFilterBank(options);
      expect(K.backend).toBe('js');
      const x = Rng.seeded(2).normalVec(20);
      const reference = new ConvFilterBank({ ...options, backend: 'js' });
      expect([...K.apply(x, new Float64Array(40))]).toEqual([...reference.apply(x, new Float64Array(40))]);
      expect(() => new fresh.ConvFilterBank({ ...options, backend: 'wasm' })).toThrow(freshCore.BilevelError);
      expect(() => new fresh.ConvFilterBank({ ...options, backend: 'wasm' })).toThrow(/needs WebAssembly with SIMD .*backend: 'js'/);
    } finally {
      vi.unstubAllGlobals();
      vi.resetModules();
    }
  });

  it('refuses arrays beyond the 4 GiB a 32-bit instance can address, before allocating; auto falls back to JavaScript', () => {
    // 512 responses of 1024² doubles are 4 GiB; the JavaScript loops need one padded input only
    const big = { inChannels: 1, outChannels: 512, height: 1024, width: 1024, kernelSize: 7 };
    expect(() => new ConvFilterBank({ ...big, backend: 'wasm' })).toThrow(ShapeError);
    expect(() => new ConvFilterBank({ ...big, backend: 'wasm' })).toThrow(/more than the 4 GiB .*backend: 'js'/);
    expect(new ConvFilterBank(big).backend).toBe('js');
  });

  it('validates the backend option', () => {
    // @ts-expect-error: unknown backend
    expect(() => new ConvFilterBank({ inChannels: 1, outChannels: 1, height: 3, width: 3, kernelSize: 3, backend: 'gpu' })).toThrow(/backend/);
  });

  it('reads the kernels at each call (setParams, and writes into params, take effect)', () => {
    const options = { inChannels: 2, outChannels: 3, height: 6, width: 7, kernelSize: 5, boundary: 'symmetric' as const };
    const A = new ConvFilterBank({ ...options, backend: 'wasm' });
    const J = new ConvFilterBank({ ...options, backend: 'js' });
    const x = Rng.seeded(3).normalVec(84);
    const y = Rng.seeded(4).normalVec(126);
    for (const theta of [Rng.seeded(5).normalVec(150), Rng.seeded(6).normalVec(150)]) {
      A.setParams(theta);
      J.setParams(theta);
      expect(relError(A.apply(x, new Float64Array(126)), J.apply(x, new Float64Array(126)))).toBeLessThan(1e-12);
      expect(relError(A.adjoint(y, new Float64Array(84)), J.adjoint(y, new Float64Array(84)))).toBeLessThan(1e-12);
      expect(A.norm().value).toBeCloseTo(J.norm().value, 12);
    }
  });
});

describe('WebAssembly kernel = JavaScript loops (relative error ≤ 1e-12)', () => {
  const sizes: [number, number][] = [
    [1, 5],
    [7, 1],
    [9, 13],
    [32, 32],
    [33, 31],
  ];
  const boundaries: FilterBankBoundary[] = ['zero', 'symmetric', 'reflect', 'periodic', 'valid'];
  for (const boundary of boundaries) {
    for (const [H, W] of sizes) {
      if (boundary === 'valid' && Math.min(H, W) < 3) continue; // no 3×3 window fits
      it(`${boundary} ${H}×${W}: apply, adjoint, paramVjp for k = 3, 5, 7, 1–3 channels, 1, 4, 24 filters`, () => {
        let cases = 0;
        for (const k of [3, 5, 7]) {
          if (boundary === 'valid' && (H < k || W < k)) continue;
          for (const channels of [1, 2, 3]) {
            for (const filters of [1, 4, 24]) {
              const seed = ((H * 37 + W) * 11 + k) * 7 + channels * 5 + filters;
              const options = { inChannels: channels, outChannels: filters, height: H, width: W, kernelSize: k, boundary, kernels: Rng.seeded(seed).normalVec(filters * channels * k * k) };
              const A = new ConvFilterBank({ ...options, backend: 'wasm' });
              const J = new ConvFilterBank({ ...options, backend: 'js' });
              const n = shapeSize(A.domain);
              const m = shapeSize(A.range);
              const x = Rng.seeded(seed + 1).normalVec(n);
              const y = Rng.seeded(seed + 2).normalVec(m);
              const what = `k=${k} ${channels}→${filters}`;
              expect(relError(A.apply(x, new Float64Array(m)), J.apply(x, new Float64Array(m))), `apply ${what}`).toBeLessThan(1e-12);
              expect(relError(A.adjoint(y, new Float64Array(n)), J.adjoint(y, new Float64Array(n))), `adjoint ${what}`).toBeLessThan(1e-12);
              // accumulation with a scale, on a non-zero gradient
              const gA = Rng.seeded(seed + 3).normalVec(A.params.length);
              const gJ = Float64Array.from(gA);
              A.paramVjp(x, y, gA, -0.7);
              J.paramVjp(x, y, gJ, -0.7);
              expect(relError(gA, gJ), `paramVjp ${what}`).toBeLessThan(1e-12);
              cases++;
            }
          }
        }
        expect(cases).toBeGreaterThan(0);
      });
    }
  }
});
