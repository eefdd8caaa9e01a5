#!/usr/bin/env node
// Enforce the package dependency direction of docs/architecture.md#package-map: a package's `src/` may import only
// the workspace packages listed for it (tests and benches may import any, as devDependencies).
// Also rejects runtime dependencies on disallowed workspace packages and undeclared imports.
import { readFileSync, readdirSync, statSync, existsSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** docs/architecture.md#package-map: package → workspace packages its src may import. */
export const allowed = {
  core: [],
  operators: ['core'],
  prox: ['core', 'operators'],
  models: ['core', 'operators', 'prox'],
  solvers: ['core'],
  hypergrad: ['core', 'solvers'],
  optimizers: ['core'],
  kernels: ['core', 'solvers'],
  imaging: ['core', 'operators'],
  parallel: ['core', 'models', 'hypergrad'],
  cli: ['core', 'operators', 'prox', 'models', 'solvers', 'hypergrad', 'optimizers', 'kernels', 'imaging', 'parallel'],
  playground: ['core', 'operators', 'prox', 'models', 'solvers', 'hypergrad', 'optimizers', 'kernels', 'imaging'],
};

function* tsFiles(dir) {
  if (!existsSync(dir)) return;
  for (const e of readdirSync(dir)) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) yield* tsFiles(p);
    else if (p.endsWith('.ts')) yield p;
  }
}

const problems = [];
/** Workspace graph over dependencies and devDependencies (turbo's `^build` follows both). */
const graph = new Map();
const dirs = [...readdirSync(join(root, 'packages')).map((d) => join(root, 'packages', d)), ...(existsSync(join(root, 'apps')) ? readdirSync(join(root, 'apps')).map((d) => join(root, 'apps', d)) : [])];
for (const dir of dirs) {
  if (!existsSync(join(dir, 'package.json'))) continue;
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
  const short = pkg.name.replace('@bilevel/', '');
  graph.set(pkg.name, Object.keys({ ...pkg.dependencies, ...pkg.devDependencies }).filter((d) => d.startsWith('@bilevel/')));
  const ok = allowed[short];
  if (!ok) {
    problems.push(`${pkg.name}: not in the dependency table of docs/architecture.md#package-map (tooling/scripts/check-deps.mjs)`);
    continue;
  }
  for (const dep of Object.keys(pkg.dependencies ?? {})) {
    if (dep.startsWith('@bilevel/') && !ok.includes(dep.slice(9))) problems.push(`${pkg.name}: runtime dependency ${dep} is not allowed (allowed: ${ok.join(', ') || 'none'})`);
  }
  for (const f of tsFiles(join(dir, 'src'))) {
    const text = readFileSync(f, 'utf8');
    for (const m of text.matchAll(/(?:from|import)\s*\(?\s*['"]@bilevel\/([a-z-]+)/g)) {
      const target = m[1];
      if (target === short) continue;
      if (!ok.includes(target)) problems.push(`${f.slice(root.length + 1)}: imports @bilevel/${target}, but ${pkg.name} may import only ${ok.join(', ') || 'nothing'}`);
      else if (!(pkg.dependencies ?? {})[`@bilevel/${target}`]) problems.push(`${f.slice(root.length + 1)}: imports @bilevel/${target}, which is not in dependencies of ${pkg.name}`);
    }
  }
}
// No cycles, dev dependencies included: a cycle breaks `turbo run build` (and the README's main command).
const state = new Map();
const visit = (name, path) => {
  if (state.get(name) === 'done') return;
  if (state.get(name) === 'active') {
    problems.push(`workspace dependency cycle: ${[...path.slice(path.indexOf(name)), name].join(' → ')} (dependencies and devDependencies)`);
    return;
  }
  state.set(name, 'active');
  for (const d of graph.get(name) ?? []) visit(d, [...path, name]);
  state.set(name, 'done');
};
for (const name of graph.keys()) visit(name, []);
if (problems.length) {
  console.error(`dependency direction violated:\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log('dependency direction ok');
