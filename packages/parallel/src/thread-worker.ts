/**
 * The module each worker thread of the `threads` engine runs (a piscina task function): one
 * {@link SampleRuntime} per thread, problems sent once, then one task per call.
 * @module
 */
import { workerData } from 'node:worker_threads';
import { SampleRuntime } from './runtime.js';
import type { SampleOutcome, SampleTask } from './task.js';

/** What the executor sends a worker thread: a task and, when the thread lacks it, the problem's frame. */
export interface ThreadMessage {
  /** The problem's id and frame (the first task of a problem on this thread, or after a restart). */
  readonly problem?: { readonly id: string; readonly frame: Uint8Array };
  /** The task. */
  readonly task: SampleTask;
}

const data = workerData as { worker: string; version?: string };
const runtime = new SampleRuntime(data.worker, data.version !== undefined ? { version: data.version } : {});

/** Run one task on this thread's runtime. */
export default function runTask(message: ThreadMessage): SampleOutcome {
  if (message.problem) runtime.addProblem(message.problem.id, message.problem.frame);
  return runtime.run(message.task);
}
