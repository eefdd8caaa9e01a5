/**
 * `@bilevel/core`: the contracts that connect the bilevel packages (operators, functionals,
 * problems, solvers, the hypergradient oracle), float64 vectors and BLAS-like kernels, a
 * seeded RNG, typed errors (with one mapping of file-system error codes), JSON that keeps
 * non-finite numbers, zod helpers and cost counters.
 *
 * The conformance suites live in `@bilevel/core/testing`, the benchmark harness in
 * `@bilevel/core/bench`.
 * @packageDocumentation
 */
export * from './vec.js';
export * from './blas.js';
export * from './errors.js';
export * from './file-errors.js';
export * from './json.js';
export * from './rng.js';
export * from './validate.js';
export * from './norm.js';
export * from './contracts/operator.js';
export * from './contracts/functional.js';
export * from './contracts/problem.js';
export * from './contracts/solver.js';
export * from './contracts/oracle.js';
export * from './contracts/model.js';
export * from './contracts/backend.js';
export * from './contracts/cost.js';
export { z } from 'zod';
