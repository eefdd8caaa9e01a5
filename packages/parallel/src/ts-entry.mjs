// Development entry of a worker thread that runs TypeScript sources (tests, tsx): Node 20 does not
// apply `--import` hooks given in a worker's `execArgv`, so this JavaScript entry registers tsx
// itself and then imports the TypeScript module named in `workerData.tsModule`. Built packages
// start their `.js` modules directly and never use this file. A module that fails to load marks
// the shared flag (when there is one) as dead, so a trainer waiting on it stops waiting.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
try {
  await import(workerData.tsModule);
} catch (e) {
  if (workerData.flag instanceof SharedArrayBuffer) {
    const flag = new Int32Array(workerData.flag);
    Atomics.store(flag, 0, 2);
    Atomics.notify(flag, 0);
  }
  throw e;
}
