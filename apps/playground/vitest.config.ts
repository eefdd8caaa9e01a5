import { packageProject } from '@bilevel/tooling/vitest';

// Unit tests (node) and the browser end-to-end test (test/e2e: builds the page if needed, drives
// Debian's Chromium through playwright-core) in one project.
export default packageProject('playground', { testTimeout: 120_000 });
