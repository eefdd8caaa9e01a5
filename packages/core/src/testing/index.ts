/**
 * `@bilevel/core/testing`: the conformance suites every contributor reuses (DESIGN.md §5).
 *
 * Register an operator or functional by adding one case to your package's suite list:
 * ```ts
 * describeOperatorSuite('my operators', [{ name: 'myOp 4×5', make: () => new MyOp(4, 5) }]);
 * ```
 * The framework-free checks (`adjointError`, `checkProxByDefinition`, `checkJvp`, …) are
 * exported too, for custom tests.
 * @packageDocumentation
 */
export * from './fd.js';
export * from './side-effects.js';
export * from './operator-checks.js';
export * from './functional-checks.js';
export * from './suites.js';
