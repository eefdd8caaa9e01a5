// Module resolve hooks that make the workspace behave like a published install: a module of a
// workspace package (packages/*, apps/*, outside its node_modules) may import only its own
// package, Node built-ins and what its package.json lists in `dependencies` or in required
// `peerDependencies`. Everything else (devDependencies, optional peers such as vitest for
// @bilevel/core) is absent for a consumer of the tarball, so importing it fails here as it would
// there. Registered by ./register.mjs; used by the README-example test.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const builtins = new Set(builtinModules);

/** One entry per workspace package: its directory URL (with a trailing slash) and allowed imports. */
const workspace = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((d) => join(root, group, d))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      const optional = new Set(Object.entries(pkg.peerDependenciesMeta ?? {}).filter(([, m]) => m.optional).map(([n]) => n));
      const peers = Object.keys(pkg.peerDependencies ?? {}).filter((n) => !optional.has(n));
      return {
        name: pkg.name,
        url: pathToFileURL(dir).href + '/',
        allowed: new Set([pkg.name, ...Object.keys(pkg.dependencies ?? {}), ...peers]),
      };
    }),
);

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined. */
function packageName(specifier) {
  if (/^[./]|^[a-z][a-z0-9+.-]*:/i.test(specifier) || specifier.startsWith('#')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtins.has(name) ? undefined : name;
}

export async function resolve(specifier, context, nextResolve) {
  const parent = context.parentURL ?? '';
  const owner = workspace.find((p) => parent.startsWith(p.url) && !parent.slice(p.url.length).startsWith('node_modules/'));
  const name = packageName(specifier);
  if (owner && name && !owner.allowed.has(name)) {
    const error = new Error(
      `${owner.name} imports '${specifier}' (from ${fileURLToPath(parent)}), but '${name}' is not in its dependencies, ` +
        'so an install of the published package does not have it: add it to dependencies, or keep the import out of the runtime entry points',
    );
    error.code = 'ERR_MODULE_NOT_FOUND';
    throw error;
  }
  return nextResolve(specifier, context);
}
