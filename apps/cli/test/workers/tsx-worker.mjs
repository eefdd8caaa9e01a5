// Bootstrap of a worker thread that runs TypeScript sources: registers tsx's loader in this
// thread (Node 20 does not apply the parent's `--import` loaders to workers), then imports
// `workerData.entry`. Start it with `execArgv: ['--conditions=@bilevel/source']` so workspace
// packages resolve to their sources, as in the tests.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
