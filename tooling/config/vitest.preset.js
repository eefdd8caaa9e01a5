// Shared vitest preset: resolve workspace packages to their TypeScript sources through the
// `@bilevel/source` export condition, so tests never need a build.
import { defineProject } from 'vitest/config';

const conditions = ['@bilevel/source', 'module', 'node', 'import', 'default'];

/**
 * Vitest project config for one workspace package.
 * @param {string} name project name shown in reports
 * @param {{ testTimeout?: number }} [options]
 */
export function packageProject(name, options = {}) {
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ['@bilevel/source'] } },
    test: {
      name,
      environment: 'node',
      include: ['test/**/*.test.ts'],
      testTimeout: options.testTimeout ?? 60_000,
    },
  });
}
