/**
 * The kernel registry (in the spirit of tfjs's kernel registry): fused implementations of an
 * algorithm, keyed by backend, each saying which problem descriptions it runs. The solvers look
 * up a kernel for the description of the problem at hand; when none matches they run the generic
 * composition of operators and functionals (`js-f64`), the reference every kernel is tested
 * against (docs/architecture.md#kernels-and-backends).
 * @module
 */
import type { SaddleDescription } from './contracts/description.js';
import { ValidationError } from './errors.js';

/** The backends a kernel can run on. `js-f64` is the generic composition, always available. */
export const KERNEL_BACKENDS = ['wasm-f64', 'gpujs-f32', 'js-f64'] as const;

/** A kernel backend: WebAssembly SIMD (float64), gpu.js (float32) or the generic JavaScript composition. */
export type KernelBackend = (typeof KERNEL_BACKENDS)[number];

/** Name and backend of the kernel that runs a solve (the generic composition included). */
export interface KernelInfo {
  /** The kernel's name, e.g. `huber-tv` or `generic`. */
  readonly name: string;
  /** Its backend. */
  readonly backend: KernelBackend;
}

/** The generic composition of operators and functionals: the reference, matching every problem. */
export const GENERIC_KERNEL: KernelInfo = Object.freeze({ name: 'generic', backend: 'js-f64' });

/**
 * A registered kernel: a fused implementation of `algorithm` (e.g. `pdhg`, `piggyback`) on
 * `backend` for the descriptions `matches` accepts; `create` is its factory, whose type the
 * consumer of the algorithm knows (`@bilevel/solvers` for the synchronous float64 kernels).
 */
export interface KernelEntry<F = unknown> extends KernelInfo {
  /** The algorithm it runs. */
  readonly algorithm: string;
  /** Whether it runs the described problem. */
  matches(description: SaddleDescription): boolean;
  /** Its factory. */
  readonly create: F;
}

/** Fused kernels by algorithm and backend; see the module comment. */
export class KernelRegistry {
  private readonly entries: KernelEntry[] = [];

  /**
   * Add a kernel (replacing one of the same name, algorithm and backend); returns a function
   * that removes it again.
   */
  register<F>(entry: KernelEntry<F>): () => void {
    if (entry.backend === 'js-f64') throw new ValidationError(`kernel registry: '${entry.name}' cannot be registered as js-f64, the generic composition`);
    const same = (e: KernelEntry) => e.name === entry.name && e.algorithm === entry.algorithm && e.backend === entry.backend;
    const at = this.entries.findIndex(same);
    if (at >= 0) this.entries.splice(at, 1);
    this.entries.push(entry as KernelEntry);
    return () => {
      const i = this.entries.indexOf(entry as KernelEntry);
      if (i >= 0) this.entries.splice(i, 1);
    };
  }

  /**
   * The first kernel of `algorithm` that matches `description`, trying `backends` in order (the
   * last one registered first within a backend); `undefined` when none does (or no description):
   * the caller runs the generic composition.
   */
  find<F>(algorithm: string, description: SaddleDescription | undefined, backends: readonly KernelBackend[]): KernelEntry<F> | undefined {
    if (!description) return undefined;
    for (const backend of backends) {
      for (let i = this.entries.length - 1; i >= 0; i--) {
        const e = this.entries[i]!;
        if (e.algorithm === algorithm && e.backend === backend && e.matches(description)) return e as KernelEntry<F>;
      }
    }
    return undefined;
  }

  /** The registered kernels (of `algorithm` when given), for reports and tests. */
  list(algorithm?: string): readonly (KernelInfo & { readonly algorithm: string })[] {
    return this.entries.filter((e) => algorithm === undefined || e.algorithm === algorithm).map(({ name, backend, algorithm: a }) => ({ name, backend, algorithm: a }));
  }
}

/** The process-wide kernel registry every package registers into. */
export const kernelRegistry = new KernelRegistry();
