#!/usr/bin/env node
// Run every bench/*.ts of the current package through tsx (sources resolved through the
// `@bilevel/source` condition). Each bench prints one JSON object per line on stdout.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tsx = join(root, 'node_modules', '.bin', 'tsx');
const dir = join(process.cwd(), 'bench');
const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.ts')).sort() : [];
const only = process.env.BENCH_FILTER;
let failed = 0;
for (const f of files) {
  if (only && !f.includes(only)) continue;
  const r = spawnSync(tsx, ['--conditions=@bilevel/source', join(dir, f)], { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench ${f} failed with status ${r.status}`);
    failed++;
  }
}
process.exit(failed ? 1 : 0);
