/**
 * `@bilevel/optimizers`: upper-level optimizers for bilevel learning that consume the
 * `HypergradientOracle` contract of `@bilevel/core` — inexact gradient descent (baseline),
 * MAID adaptive inexact backtracking (arXiv 2308.10098), the MAID-based reconstruction of the
 * adaptive step of arXiv 2412.06436, inexact SGD and Adam with accuracy/step schedules
 * (arXiv 2412.12049, 2511.06774); parameter layouts, exp reparametrisation, projections,
 * budgets, step records and lossless checkpoints; an optimizer as data (`OptimizerSpec`, the
 * `optimizer` section of an experiment config) and the optimizer it describes (`optimizerFromSpec`).
 *
 * Every optimizer is a resumable state machine (`init → step → …`, `checkpoint`/`restore`);
 * `optimizerMachine` hands it to the run loop of `@bilevel/core` (`run`/`runAsync` with stop
 * criteria and callbacks). File helpers (atomic checkpoints, JSONL logs) live in
 * `@bilevel/optimizers/node`.
 * @packageDocumentation
 */
export * from './types.js';
export * from './codec.js';
export * from './params.js';
export * from './projection.js';
export * from './schedule.js';
export * from './gd.js';
export * from './maid.js';
export * from './isgd.js';
export * from './run.js';
export * from './checkpoint.js';
export * from './spec.js';
