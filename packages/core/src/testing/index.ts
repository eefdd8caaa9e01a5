/**
 * `@bilevel/core/testing`: the framework-free conformance checks every contributor reuses
 * (CONTRIBUTING.md#testing). Nothing here needs a test framework, so the checks run anywhere:
 * ```ts
 * const failed = operatorChecks({ name: 'myOp 4×5', make: () => new MyOp(4, 5) })
 *   .map((c) => ({ name: c.name, ...c.run() }))
 *   .filter((r) => !r.pass);
 * ```
 * The single checks (`adjointError`, `checkProxByDefinition`, `checkJvp`, …) are exported too,
 * for custom tests. The same suites registered with vitest are in `@bilevel/core/testing/vitest`.
 * @packageDocumentation
 */
export * from './fd.js';
export * from './side-effects.js';
export * from './operator-checks.js';
export * from './functional-checks.js';
export * from './suites.js';
export * from './points.js';
