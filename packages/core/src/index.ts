/**
 * `@bilevel/core`: the contracts that connect the bilevel packages (operators, functionals,
 * problems, solvers, the hypergradient oracle), float64 vectors and BLAS-like kernels, a
 * seeded RNG, typed errors (with one mapping of file-system error codes), JSON that keeps
 * non-finite numbers, zod helpers and cost counters.
 *
 * The conformance checks live in `@bilevel/core/testing` (as vitest suites in
 * `@bilevel/core/testing/vitest`), the benchmark harness in `@bilevel/core/bench`. `z` is zod's
 * namespace, re-exported so that every package validates with the same zod instance; it is
 * documented by zod, not in this API reference.
 * @packageDocumentation
 */
export * from './vec.js';
export * from './blas.js';
export * from './errors.js';
export * from './file-errors.js';
export * from './json.js';
export * from './rng.js';
export * from './validate.js';
export * from './options.js';
export * from './norm.js';
export * from './warm.js';
export * from './cg.js';
export * from './shared-params.js';
export * from './wasm.js';
export * from './thread-error.js';
export * from './worker-entry.js';
export * from './contracts/operator.js';
export * from './contracts/functional.js';
export * from './contracts/problem.js';
export * from './contracts/solver.js';
export * from './contracts/oracle.js';
export * from './contracts/loss.js';
export * from './contracts/model.js';
export * from './contracts/backend.js';
export * from './contracts/description.js';
export * from './kernels.js';
export * from './contracts/cost.js';
export * from './run/index.js';
export { z } from 'zod';
