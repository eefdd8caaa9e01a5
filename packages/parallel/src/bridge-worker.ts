/**
 * The engine thread behind {@link SyncBridge}: builds the engine's transport and dispatcher and
 * answers the trainer's requests one at a time.
 * @module
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { FLAG, type BridgeAnswer } from './bridge.js';
import { Dispatcher, type Transport } from './dispatch.js';
import { errorData } from './errors.js';
import type { EngineSpec } from './engine.js';
import { ThreadsTransport } from './threads.js';
import type { SampleTask } from './task.js';

const { engine, port, flag } = workerData as { engine: EngineSpec; port: MessagePort; flag: SharedArrayBuffer };
const state = new Int32Array(flag);
let log: string[] = [];

async function transport(e: EngineSpec): Promise<Transport> {
  if (e.engine === 'threads') return new ThreadsTransport({ workers: e.workers, ...(e.version !== undefined ? { version: e.version } : {}) });
  const { RedisTransport } = await import('./redis.js');
  const { engine: _e, ...options } = e;
  return new RedisTransport(options, (line) => log.push(line));
}

function answer(a: BridgeAnswer<unknown>): void {
  port.postMessage(a);
  Atomics.store(state, 0, FLAG.answered);
  Atomics.notify(state, 0);
}

process.on('exit', () => {
  Atomics.store(state, 0, FLAG.dead);
  Atomics.notify(state, 0);
});

const dispatcher = transport(engine).then((t) => new Dispatcher(t, { log: (line) => log.push(line) }));
// Keep the tail of the chain so requests run one after another.
let queue: Promise<void> = Promise.resolve();

const problems = new Map<string, { id: string; frame: Uint8Array }>();

/** A request of the trainer. */
type Request = { kind: 'problem'; id: string; frame: Uint8Array } | { kind: 'run'; problem: string; tasks: SampleTask[] } | { kind: 'close' };

async function handle(request: Request): Promise<unknown> {
  const d = await dispatcher;
  switch (request.kind) {
    case 'problem':
      problems.set(request.id, { id: request.id, frame: request.frame });
      return undefined;
    case 'run': {
      const p = problems.get(request.problem);
      if (!p) throw new Error(`engine thread: unknown problem ${request.problem}`);
      return d.run(p, request.tasks);
    }
    case 'close':
      return d.close();
  }
}

port.on('message', (request: Request) => {
  queue = queue.then(async () => {
    try {
      const ok = await handle(request);
      answer({ ok, log });
    } catch (e) {
      answer({ error: errorData(e), log });
    } finally {
      log = [];
    }
    if (request.kind === 'close') port.close();
  });
});
