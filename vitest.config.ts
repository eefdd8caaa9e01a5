import { defineConfig } from 'vitest/config';

// One vitest run over every workspace project (packages, apps and tooling); each project brings its own
// config built from the shared preset in tooling/config. The JSON report feeds the CI counts line.
export default defineConfig({
  test: {
    projects: ['packages/*/vitest.config.ts', 'apps/*/vitest.config.ts', 'tooling/*/vitest.config.ts'],
    reporters: ['default', ['json', { outputFile: 'reports/vitest.json' }]],
  },
});
