/**
 * The WebAssembly sweeps of the fused filter-bank (separable Huber) kernel: the embedded binary
 * is the assembled source, and the kernel's iterates are views of one lent memory that goes back
 * to the pool on release. Its iterates, certificates and costs against the generic composition
 * are in the parity suite (`kernel-parity.test.ts`).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { LinearOperator } from '@bilevel/core';
import { assemble, wasmDir } from '@bilevel/tooling/wasm';
import { SeparableHuberKernel } from '../src/separable-huber-kernel.js';
import { wasmBase64 } from '../src/wasm/separable-huber.wasm.js';

/** `K = 2I` on 5 entries (odd: the sweeps run over padded lane pairs). */
const twice: LinearOperator = {
  domain: [5],
  range: [5],
  apply: (x, out) => out.map((_, i) => 2 * x[i]!),
  adjoint: (y, out) => out.map((_, i) => 2 * y[i]!),
};

describe('WebAssembly sweeps of the filter-bank kernel', () => {
  it('the embedded binary is the assembled separable-huber.wat (run `pnpm wasm` after editing it)', async () => {
    const bytes = await assemble(join(wasmDir(join(dirname(fileURLToPath(import.meta.url)), '..')), 'separable-huber.wat'));
    expect(Buffer.from(wasmBase64, 'base64').equals(Buffer.from(bytes))).toBe(true);
  });

  it('one step by hand: views of one memory, x and xPrev exchanged, the padding left zero; released state refuses', () => {
    const c = Float64Array.from([1, 2, 3, 4, 5]);
    const k = new SeparableHuberKernel(twice, { n: 5, m: 5, lambda: 1, c, constant: 0, alpha: 0.5, epsilon: 0.1, loss: { scale: 1, target: new Float64Array(5) } }, true);
    expect(k.x.buffer).toBe(k.Y.buffer);
    expect([k.x.length, k.X.length, k.Y.length]).toEqual([5, 5, 5]);
    const before = k.x;
    // from zero: y⁺ = prox(0) = 0, x⁺ = (0 − 0 + τc)/(1 + τ); X⁺ = (0 − τ(0 + (0 − 0)))/(1 + τ) = 0
    const change = k.step(0.5, 0.5, 1);
    expect(k.xPrev).toBe(before);
    expect(Array.from(k.x)).toEqual(Array.from(c, (v) => (0.5 * v) / 1.5));
    expect(change).toBeCloseTo(Array.from(c).reduce((s, v) => s + ((0.5 * v) / 1.5) ** 2, 0), 14);
    expect(new Float64Array(k.x.buffer, k.x.byteOffset + 40, 1)[0]).toBe(0);
    k.release();
    expect(() => k.step(0.5, 0.5, 1)).toThrow(/released/);
  });
});
