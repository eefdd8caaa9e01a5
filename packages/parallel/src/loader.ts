/**
 * Where a worker thread's module is and how to start it: the built `.js` next to this file in
 * production; in a workspace checkout running the TypeScript sources (tests, `tsx`), the `.ts`
 * file with the tsx loader and the `@bilevel/source` condition, so workers resolve the workspace
 * packages as the parent does.
 * @module
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

/** Whether this package runs from its TypeScript sources. */
const fromSources = /\.ts$/.test(new URL(import.meta.url).pathname);

function tsxArgv(): string[] {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return ['--import', tsx, '--conditions=@bilevel/source'];
}

/**
 * How to start the worker module `name` (without extension, relative to `base`, by default this
 * file) as a thread's entry — of a plain `Worker` or of a piscina pool, whose task function is
 * the module's default export: its URL, `execArgv`, and what to merge into `workerData`. From the
 * sources, the entry is `ts-entry.mjs`, which imports the TypeScript module as an ES module once
 * the tsx hooks are in place (never the `.ts` file itself: piscina would `require()` it, compiled
 * to CommonJS, at about twice the CPU).
 */
export function workerEntry(name: string, base: string | URL = import.meta.url): { readonly url: URL; readonly execArgv: string[]; readonly workerData: Record<string, string> } {
  if (!fromSources) return { url: new URL(`./${name}.js`, base), execArgv: [], workerData: {} };
  return { url: new URL('./ts-entry.mjs', import.meta.url), execArgv: tsxArgv(), workerData: { tsModule: new URL(`./${name}.ts`, base).href } };
}
