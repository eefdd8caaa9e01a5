import { describe, expect, it } from 'vitest';
import { ShapeError, WASM_PAGE_BYTES, WASM_POOL_MAX_BYTES, WASM_POOL_SIZE, WasmKernel } from '@bilevel/core';

/**
 * `(module (import "env" "memory" (memory 1)) (func (export "peek") (param i32) (result i32)
 * (i32.load (local.get 0))))`, assembled by hand: a kernel that reads its memory.
 */
const PEEK = Buffer.from(
  [
    [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    [0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01, 0x7f],
    [0x02, 0x0f, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x01],
    [0x03, 0x02, 0x01, 0x00],
    [0x07, 0x08, 0x01, 0x04, 0x70, 0x65, 0x65, 0x6b, 0x00, 0x00],
    [0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x28, 0x02, 0x00, 0x0b],
  ].flat(),
).toString('base64');

const peekKernel = (): WasmKernel<{ peek(at: number): number }> => new WasmKernel(PEEK, 'the peek kernel', 'nothing');

/** The same kernel importing a shared memory, `(memory 1 65536 shared)`: limits flag 3, maximum 65536 (LEB128). */
const SHARED_PEEK = Buffer.from(
  Buffer.from(PEEK, 'base64')
    .toString('hex')
    .replace('020f0103656e76066d656d6f7279020001', '02120103656e76066d656d6f72790203018080' + '04'),
  'hex',
).toString('base64');

describe('WasmKernel pool', () => {
  it('lends a released instance again, its memory zeroed, and never one that is lent', () => {
    const kernel = peekKernel();
    const a = kernel.acquire(100, 'a');
    new Int32Array(a.buffer)[0] = 7;
    expect(a.exports.peek(0)).toBe(7);
    const b = kernel.acquire(100, 'b');
    expect(b.exports).not.toBe(a.exports);
    expect(kernel.release(a)).toBe(true);
    expect(kernel.release(a)).toBe(false);
    const c = kernel.acquire(100, 'c');
    expect(c.exports).toBe(a.exports);
    expect(c.exports.peek(0)).toBe(0);
    expect(new Uint8Array(c.buffer).every((v) => v === 0)).toBe(true);
  });

  it('prefers the smallest released memory that is large enough, else grows the largest', () => {
    const kernel = peekKernel();
    const small = kernel.acquire(WASM_PAGE_BYTES, 'small');
    const large = kernel.acquire(3 * WASM_PAGE_BYTES, 'large');
    kernel.release(large);
    kernel.release(small);
    expect(kernel.acquire(10, 'x').exports).toBe(small.exports);
    const big = kernel.acquire(5 * WASM_PAGE_BYTES, 'y');
    expect(big.exports).toBe(large.exports);
    expect(big.buffer.byteLength).toBeGreaterThanOrEqual(5 * WASM_PAGE_BYTES);
    new Int32Array(big.buffer)[5 * (WASM_PAGE_BYTES / 4) - 1] = 3;
    expect(big.exports.peek(5 * WASM_PAGE_BYTES - 4)).toBe(3);
  });

  it(`keeps at most ${WASM_POOL_SIZE} released instances, none above the size limit`, () => {
    const kernel = peekKernel();
    const lent = Array.from({ length: WASM_POOL_SIZE + 2 }, (_, k) => kernel.acquire(10, `#${k}`));
    const huge = kernel.acquire(WASM_POOL_MAX_BYTES + 1, 'huge');
    kernel.release(huge);
    for (const l of lent) kernel.release(l);
    const again = Array.from({ length: WASM_POOL_SIZE + 2 }, (_, k) => kernel.acquire(10, `again ${k}`));
    const reused = again.filter((l) => lent.some((m) => m.exports === l.exports) || l.exports === huge.exports);
    expect(reused.length).toBe(WASM_POOL_SIZE);
    expect(again.some((l) => l.exports === huge.exports)).toBe(false);
  });

  it('refuses sizes beyond 4 GiB before allocating, as instantiate', () => {
    expect(() => peekKernel().acquire(2 ** 33, '1×2¹⁶×2¹⁶')).toThrow(ShapeError);
  });

  it('lends shared memories (a SharedArrayBuffer, growable to 4 GiB) to a module that imports one, with its compiled module', () => {
    const kernel = new WasmKernel<{ peek(at: number): number }>(SHARED_PEEK, 'the shared peek kernel', 'nothing', { shared: true });
    expect(kernel.available()).toBe(true);
    expect(new WasmKernel(SHARED_PEEK, 'shared, instantiated unshared', 'nothing').available()).toBe(true);
    expect(() => new WasmKernel(SHARED_PEEK, 'shared, instantiated unshared', 'nothing').acquire(10, 'x')).toThrow();
    const a = kernel.acquire(10, 'a');
    expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(a.memory.buffer).toBe(a.buffer);
    new Int32Array(a.buffer)[1] = 9;
    expect(a.exports.peek(4)).toBe(9);
    kernel.release(a);
    const b = kernel.acquire(3 * WASM_PAGE_BYTES, 'b');
    expect(b.exports).toBe(a.exports);
    expect(b.buffer.byteLength).toBeGreaterThanOrEqual(3 * WASM_PAGE_BYTES);
    expect(b.exports.peek(4)).toBe(0);
    // a second instance of the compiled module on the same memory (as a worker thread makes)
    const api = (globalThis as unknown as { WebAssembly: { Instance: new (module: object, imports: object) => { exports: object } } }).WebAssembly;
    const other = new api.Instance(kernel.module(), { env: { memory: b.memory } }).exports as { peek(at: number): number };
    new Int32Array(b.buffer)[2] = 5;
    expect(other.peek(8)).toBe(5);
  });
});
