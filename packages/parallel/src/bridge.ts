/**
 * A synchronous call into an asynchronous engine. The oracle contract is synchronous (the
 * optimizers call `evaluate` and use the result at once), while worker pools and Redis answer
 * through an event loop; so the engine runs on a thread of its own, and the trainer posts a
 * request and sleeps (`Atomics.wait`) until the engine thread has posted the answer and woken it
 * (`Atomics.notify`), then reads it with `receiveMessageOnPort`. No event loop turns on the
 * trainer's thread during a call.
 * @module
 */
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { ValidationError, threadFailure, workerEntry } from '@bilevel/core';
import { errorFromData, type ErrorData } from './errors.js';

/** The states of the shared flag. */
export const FLAG = { idle: 0, answered: 1, dead: 2 } as const;

/** What the engine thread answers. */
export type BridgeAnswer<T> = { readonly ok: T; readonly log: readonly string[] } | { readonly error: ErrorData; readonly log: readonly string[] };

/** The trainer's end of the engine thread. */
export class SyncBridge {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag: Int32Array;
  private closed = false;

  /**
   * @param engine what the engine thread builds (see `bridge-worker.ts`)
   * @param log receives the engine's log lines after each call
   */
  constructor(
    engine: unknown,
    private readonly log: (line: string) => void = () => {},
  ) {
    const entry = workerEntry('bridge-worker', import.meta.url);
    const shared = new SharedArrayBuffer(4);
    this.flag = new Int32Array(shared);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(entry.url, { workerData: { ...entry.workerData, engine, port: port2, flag: shared }, transferList: [port2], execArgv: entry.execArgv });
    this.worker.unref();
    this.port.unref();
  }

  /** Send `request` and wait for the answer; the engine's errors are rethrown with their class. */
  call<T>(request: unknown): T {
    if (this.closed) throw new ValidationError('parallel engine: already closed');
    Atomics.store(this.flag, 0, FLAG.idle);
    this.port.postMessage(request);
    for (;;) {
      Atomics.wait(this.flag, 0, FLAG.idle, 1000);
      const m = receiveMessageOnPort(this.port);
      if (m) {
        const a = m.message as BridgeAnswer<T>;
        for (const line of a.log) this.log(line);
        if ('ok' in a) return a.ok;
        throw errorFromData(a.error);
      }
      if (Atomics.load(this.flag, 0) === FLAG.dead) {
        this.closed = true;
        throw threadFailure('parallel engine', 'its thread stopped unexpectedly', 'the run cannot continue');
      }
    }
  }

  /** Close the engine (its workers, connections) and its thread. */
  close(): void {
    if (this.closed) return;
    try {
      this.call({ kind: 'close' });
    } finally {
      this.closed = true;
      void this.worker.terminate();
    }
  }
}
