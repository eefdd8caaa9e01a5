/**
 * Where a worker thread's module is and how to start it, for the packages that run work on
 * Node's `worker_threads` (the `threads` engine of `@bilevel/parallel`, the row-band threads of
 * the fused kernels of `@bilevel/solvers`): the built `.js` next to the caller in production; in a
 * workspace checkout running the TypeScript sources (tests, `tsx`), `ts-entry.mjs` with the
 * `@bilevel/source` condition, which registers tsx's hooks and imports the `.ts` module as an ES
 * module, so the thread resolves the workspace packages as its parent does. Only URLs are
 * computed here (nothing of Node is imported), so the module loads in browsers too.
 * @module
 */

/** How to start a worker thread's module: see {@link workerEntry}. */
export interface WorkerEntry {
  /** The entry's URL (`new Worker(url, …)`, or a piscina pool's `filename`). */
  readonly url: URL;
  /** The thread's `execArgv`. */
  readonly execArgv: string[];
  /** What to merge into the thread's `workerData` (`tsModule` for `ts-entry.mjs`). */
  readonly workerData: Record<string, string>;
}

/**
 * How to start the worker module `name` (without extension, relative to `base`, the caller's
 * `import.meta.url`) as a thread's entry — of a plain `Worker` or of a piscina pool, whose task
 * function is the module's default export. When `base` is a `.ts` file (the sources), the entry
 * is `ts-entry.mjs`, which imports the TypeScript module as an ES module once the tsx hooks are
 * in place (never the `.ts` file itself: piscina would `require()` it, compiled to CommonJS, at
 * about twice the CPU); otherwise the built `.js` module itself.
 */
export function workerEntry(name: string, base: string | URL): WorkerEntry {
  if (!/\.ts$/.test(new URL(base).pathname)) return { url: new URL(`./${name}.js`, base), execArgv: [], workerData: {} };
  return {
    url: new URL('./ts-entry.mjs', import.meta.url),
    execArgv: ['--conditions=@bilevel/source'],
    workerData: { tsModule: new URL(`./${name}.ts`, base).href },
  };
}
