/**
 * Loading of the workspace's WebAssembly SIMD kernels (the Huber-TV PDHG step of
 * `@bilevel/solvers`, the filter-bank loops of `@bilevel/operators`): each package embeds the
 * binary assembled from its `.wat` source as base64, compiles it once, synchronously (a few
 * kB), and gives every operator or solver state an instance with its own memory — a new one
 * (`instantiate`), or one lent from a pool of released instances (`acquire` / `release`), so
 * short solves repeated many times do not pay for a new memory each. A missing WebAssembly
 * SIMD and an image that a 32-bit memory cannot hold are named errors that say what to use
 * instead.
 * @module
 */
import { BilevelError, ShapeError } from './errors.js';

/** Bytes of one WebAssembly memory page. */
export const WASM_PAGE_BYTES = 65536;

/** Largest memory a 32-bit WebAssembly instance can address (65536 pages, 4 GiB). */
export const WASM_MAX_BYTES = 65536 * WASM_PAGE_BYTES;

/** The part of the WebAssembly JS API used here (typed locally: the ES lib does not declare it). */
interface WasmApi {
  validate(bytes: Uint8Array): boolean;
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => { readonly exports: object };
  readonly Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
}

/** A WebAssembly memory (the part of the JS API used here): a `WebAssembly.Memory`. */
export interface WasmMemory {
  /** Its bytes (an `ArrayBuffer`, or a `SharedArrayBuffer` for a shared memory). */
  readonly buffer: ArrayBuffer;
  /** Grow by `pages` pages; returns the previous size in pages. */
  grow(pages: number): number;
}

/** An instance with its memory, as the pool keeps it. */
interface Pooled<E> {
  readonly exports: E;
  readonly memory: WasmMemory;
}

/** Released instances a kernel keeps for reuse (at most this many). */
export const WASM_POOL_SIZE = 4;

/** Instances with a larger memory are not kept for reuse when released (64 MiB). */
export const WASM_POOL_MAX_BYTES = 1024 * WASM_PAGE_BYTES;

/** An instance of a kernel: its exports and the memory they work on. */
export interface WasmInstance<E> {
  /** The exported functions and globals. */
  readonly exports: E;
  /** The instance's memory (it never grows, so views of it stay valid). */
  readonly buffer: ArrayBuffer;
  /** The memory object (to instantiate the module on it elsewhere, e.g. in a worker thread when shared). */
  readonly memory: WasmMemory;
}

/** Options of a {@link WasmKernel}. */
export interface WasmKernelOptions {
  /**
   * The module imports a shared memory (`(memory n 65536 shared)`): instances get a shared
   * memory of at most 4 GiB, whose buffer is a `SharedArrayBuffer` (default false).
   */
  readonly shared?: boolean;
}

/**
 * A WebAssembly module embedded as base64, compiled on first use (once per process) and
 * instantiated with a memory of a given size. The module must import its memory as
 * `env.memory`.
 */
export class WasmKernel<E> {
  private compiled: { api: WasmApi; module: object } | undefined;
  private simd: boolean | undefined;
  /** Released instances, ready to lend. */
  private readonly free: Pooled<E>[] = [];
  /** The instances lent by `acquire` and not yet released, by the object handed out. */
  private readonly lent = new Map<WasmInstance<E>, Pooled<E>>();

  /**
   * @param base64 the binary, base64
   * @param who the user-facing name of the kernel, e.g. `the fused Huber-TV kernel`
   * @param fallback what to use without WebAssembly SIMD or for images too large, e.g.
   *   `the generic Pdhg`
   * @param options whether the module imports a shared memory
   */
  constructor(
    private readonly base64: string,
    private readonly who: string,
    private readonly fallback: string,
    private readonly options: WasmKernelOptions = {},
  ) {}

  /** Whether this runtime has WebAssembly with SIMD (the module validates; a shared one also needs `SharedArrayBuffer`). */
  available(): boolean {
    if (this.simd === undefined) {
      const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      this.simd =
        api !== undefined &&
        typeof api.validate === 'function' &&
        (!this.options.shared || typeof SharedArrayBuffer === 'function') &&
        api.validate(this.bytes());
    }
    return this.simd;
  }

  /**
   * The compiled module (a `WebAssembly.Module`, compiled on first use), e.g. to send to a worker
   * thread that instantiates it on a shared memory. Errors as {@link WasmKernel.instantiate}.
   */
  module(): object {
    return this.compile().module;
  }

  /**
   * A new instance with a memory of at least `bytes` bytes. Throws a {@link ShapeError} when
   * `bytes` exceeds the 4 GiB a 32-bit instance can address (checked before anything is
   * allocated) and a {@link BilevelError} without WebAssembly SIMD.
   * @param bytes memory needed, in bytes
   * @param what the data that needs it, for the message, e.g. `1×12000×12000`
   */
  instantiate(bytes: number, what: string): WasmInstance<E> {
    const { exports, memory } = this.create(bytes, what);
    return { exports, buffer: memory.buffer, memory };
  }

  /**
   * An instance with at least `bytes` bytes of memory, all zero, lent until
   * {@link WasmKernel.release}: a released one when there is one (the smallest that is large
   * enough, else the largest, grown), else a new one. Every acquired instance is the caller's
   * alone until it releases it, so solves can be interleaved or nested. Errors as
   * {@link WasmKernel.instantiate}.
   * @param bytes memory needed, in bytes
   * @param what the data that needs it, for the message
   */
  acquire(bytes: number, what: string): WasmInstance<E> {
    this.checkBytes(bytes, what);
    const size = (k: number): number => this.free[k]!.memory.buffer.byteLength;
    let pick = -1;
    for (let k = 0; k < this.free.length; k++) if (pick < 0 || prefer(size(k), size(pick), bytes)) pick = k;
    let pooled: Pooled<E>;
    if (pick < 0) {
      pooled = this.create(bytes, what);
    } else {
      pooled = this.free.splice(pick, 1)[0]!;
      const have = pooled.memory.buffer.byteLength;
      if (have < bytes) pooled.memory.grow(Math.ceil((bytes - have) / WASM_PAGE_BYTES));
      new Uint8Array(pooled.memory.buffer, 0, bytes).fill(0);
    }
    const lease: WasmInstance<E> = { exports: pooled.exports, buffer: pooled.memory.buffer, memory: pooled.memory };
    this.lent.set(lease, pooled);
    return lease;
  }

  /**
   * Give back an instance from {@link WasmKernel.acquire}: views of its memory must not be used
   * afterwards (a later `acquire` may lend it again). Kept for reuse unless the pool is full or
   * its memory is larger than {@link WASM_POOL_MAX_BYTES}. Releasing twice does nothing.
   * @returns whether the instance was lent (and is now released)
   */
  release(instance: WasmInstance<E>): boolean {
    const pooled = this.lent.get(instance);
    if (!pooled) return false;
    this.lent.delete(instance);
    if (this.free.length < WASM_POOL_SIZE && pooled.memory.buffer.byteLength <= WASM_POOL_MAX_BYTES) this.free.push(pooled);
    return true;
  }

  /** A new instance with its own memory of at least `bytes` bytes. */
  private create(bytes: number, what: string): Pooled<E> {
    this.checkBytes(bytes, what);
    const { api, module } = this.compile();
    const initial = Math.ceil(bytes / WASM_PAGE_BYTES);
    const memory = new api.Memory(this.options.shared ? { initial, maximum: WASM_MAX_BYTES / WASM_PAGE_BYTES, shared: true } : { initial });
    return { exports: new api.Instance(module, { env: { memory } }).exports as E, memory };
  }

  /**
   * Throw a {@link ShapeError} when `bytes` exceed the 4 GiB a 32-bit instance can address.
   * @param bytes memory needed, in bytes
   * @param what the data that needs it, for the message
   */
  checkBytes(bytes: number, what: string): void {
    if (bytes > WASM_MAX_BYTES) {
      throw new ShapeError(`${this.who}: ${what} needs ${bytes} bytes, more than the 4 GiB a WebAssembly instance can address; use ${this.fallback}`);
    }
  }

  private bytes(): Uint8Array {
    return Uint8Array.from(atob(this.base64), (ch) => ch.charCodeAt(0));
  }

  private compile(): { api: WasmApi; module: object } {
    if (!this.compiled) {
      const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
      const bytes = this.bytes();
      if (!api || !api.validate(bytes)) {
        throw new BilevelError(`${this.who} needs WebAssembly with SIMD (Node ≥ 16.4, current browsers); use ${this.fallback} instead`);
      }
      this.compiled = { api, module: new api.Module(bytes) };
    }
    return this.compiled;
  }
}

/** Whether a released memory of `a` bytes serves `bytes` better than one of `b`: the smallest that is large enough, else the largest. */
function prefer(a: number, b: number, bytes: number): boolean {
  return a >= bytes ? b < bytes || a < b : b < bytes && a > b;
}
