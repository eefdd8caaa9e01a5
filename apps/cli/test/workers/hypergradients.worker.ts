/**
 * Worker side of `models-in-worker.test.ts`: rebuild each model from its JSON text through the
 * registry and post its hypergradients back.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { modelFromJson } from '@bilevel/models';
import { hypergradients, type WorkerInput } from './hypergradients.js';

const input = workerData as WorkerInput;
parentPort!.postMessage(input.models.map((json) => hypergradients(modelFromJson(json), input.shape, input.samples)));
