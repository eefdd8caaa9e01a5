// Development entry of a worker thread that runs TypeScript sources (tests, tsx): Node 20 does not
// apply `--import` hooks given in a worker's `execArgv` to the worker's ES module loader, so this
// JavaScript entry registers tsx's ESM hooks itself and then imports the TypeScript module named
// in `workerData.tsModule` as an ES module, like the trainer's thread does; its default export is
// this entry's (a piscina task function; see `worker-entry.ts`). A pool must not be given the `.ts` file itself: piscina
// loads a task module with `require()` first, and tsx then compiles the sources to CommonJS,
// whose cross-module calls go through export getters (about twice the CPU in the solvers' loops).
// Built packages start their `.js` modules directly and never use this file. A module that fails
// to load marks the shared flag (when there is one) as dead, so a trainer waiting on it stops
// waiting.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
let loaded;
try {
  loaded = await import(workerData.tsModule);
} catch (e) {
  if (workerData.flag instanceof SharedArrayBuffer) {
    const flag = new Int32Array(workerData.flag);
    Atomics.store(flag, 0, 2);
    Atomics.notify(flag, 0);
  }
  throw e;
}
export default loaded.default;
