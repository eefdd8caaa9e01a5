/**
 * `@bilevel/core/testing/vitest`: the conformance suites registered with vitest (CONTRIBUTING.md, "Testing").
 *
 * Each case's checks come from `operatorChecks` / `functionalChecks` of `@bilevel/core/testing`
 * (framework-free, usable without vitest); this entry point only turns them into `describe`/`it`
 * blocks, so it is the one place that needs vitest (an optional peer dependency of the package):
 * ```ts
 * import { describeOperatorSuite } from '@bilevel/core/testing/vitest';
 * describeOperatorSuite('my operators', [{ name: 'myOp 4×5', make: () => new MyOp(4, 5) }]);
 * ```
 * @packageDocumentation
 */
import { describe, expect, it } from 'vitest';
import { functionalChecks, operatorChecks, type FunctionalCase, type NamedCheck, type OperatorCase } from './suites.js';

function registerChecks<C extends { readonly name: string }>(suiteName: string, cases: readonly C[], checksOf: (c: C) => NamedCheck[]): void {
  describe(suiteName, () => {
    for (const c of cases) {
      describe(c.name, () => {
        for (const check of checksOf(c)) {
          it(check.name, () => {
            const r = check.run();
            expect(r.value, `${check.name}: ${r.value} > ${r.limit}`).toBeLessThanOrEqual(r.limit);
          });
        }
      });
    }
  });
}

/** Register the operator conformance checks of every case (`operatorChecks`) with vitest. */
export function describeOperatorSuite(suiteName: string, cases: readonly OperatorCase[]): void {
  registerChecks(suiteName, cases, operatorChecks);
}

/** Register the functional conformance checks of every case (`functionalChecks`) with vitest. */
export function describeFunctionalSuite(suiteName: string, cases: readonly FunctionalCase[]): void {
  registerChecks(suiteName, cases, functionalChecks);
}
