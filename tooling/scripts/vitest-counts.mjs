#!/usr/bin/env node
// Print `N passed, N failed` (and skipped) from vitest's JSON report; exit 1 when the report
// is missing, empty or has failures.
import { readFileSync, existsSync } from 'node:fs';

const file = process.argv[2] ?? 'reports/vitest.json';
if (!existsSync(file)) {
  console.log('0 passed, 1 failed');
  console.error(`no vitest JSON report at ${file}`);
  process.exit(1);
}
const r = JSON.parse(readFileSync(file, 'utf8'));
const passed = r.numPassedTests ?? 0;
// A test file that failed without a failing test (e.g. it did not load) counts as one failure.
const brokenFiles = (r.testResults ?? []).filter(
  (t) => t.status === 'failed' && !(t.assertionResults ?? []).some((a) => a.status === 'failed'),
).length;
const failed = (r.numFailedTests ?? 0) + brokenFiles;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
