/**
 * The shared-memory variant of the WebAssembly assembly script: a source marked
 * `;; @shared-memory-variant` is assembled a second time with its memory import shared (maximum
 * 4 GiB), which instantiates on a shared memory only; unmarked sources get no variant.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { assemble, embed, hasSharedVariant, sharedMemory } from '../scripts/wasm.js';

/** The WebAssembly JS API used here (typed locally: the ES lib does not declare it). */
interface Memory {
  readonly buffer: ArrayBuffer;
}
const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => Memory;
      Module: new (bytes: Uint8Array) => object;
      Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
    };
  }
).WebAssembly;

const wat = `;; @shared-memory-variant
(module
  (import "env" "memory" (memory 1))
  (func (export "peek") (param $at i32) (result f64) (f64.load (local.get $at))))`;

describe('shared-memory variant', () => {
  it('is asked for by the marker line and makes the memory import shared with the largest maximum', () => {
    expect(hasSharedVariant(wat)).toBe(true);
    expect(hasSharedVariant(wat.replace(';; @shared-memory-variant', ';; plain'))).toBe(false);
    expect(sharedMemory(wat)).toContain('(import "env" "memory" (memory 1 65536 shared))');
    expect(() => sharedMemory('(module (memory 1))')).toThrow(/memory import/);
  });

  it('assembles to a module that runs on a shared memory only, and embeds both binaries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wasm-shared-'));
    try {
      const path = join(dir, 'peek.wat');
      writeFileSync(path, wat);
      const plain = await assemble(path);
      const shared = await assemble(path, { shared: true });
      const memory = new wasm.Memory({ initial: 1, maximum: 65536, shared: true });
      new Float64Array(memory.buffer)[1] = 2.5;
      const peek = new wasm.Instance(new wasm.Module(shared), { env: { memory } }).exports.peek as (at: number) => number;
      expect(peek(8)).toBe(2.5);
      expect(() => new wasm.Instance(new wasm.Module(shared), { env: { memory: new wasm.Memory({ initial: 1 }) } })).toThrow();
      expect(() => new wasm.Instance(new wasm.Module(plain), { env: { memory } })).toThrow();
      const module = embed(plain, 'peek.wat', shared);
      expect(module).toContain('export const wasmBase64 =');
      expect(module).toContain('export const wasmSharedBase64 =');
      expect(embed(plain, 'peek.wat')).not.toContain('wasmSharedBase64');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
