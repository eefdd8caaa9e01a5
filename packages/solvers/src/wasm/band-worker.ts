/**
 * The entry of a worker thread of `band-team.ts`: for each attach message, an instance of the
 * posted WebAssembly module on the posted shared memory, then the programs of the control block
 * (`band-program.ts`) as thread `thread` until the caller detaches; then back to waiting for the next
 * attach (the thread is reused by later solves).
 * @module
 */
import { threadErrorData } from '@bilevel/core';
import { parentPort, type MessagePort } from 'node:worker_threads';
import { BandFailure, CONTROL, OP, controlWords, fail, programScratch, runProgram, waitFor, type BandExport } from './band-program.js';

/** What the caller posts to attach a worker to a memory (see `BandTeam`). */
export interface AttachMessage {
  /** The compiled module (a `WebAssembly.Module` importing a shared `env.memory`). */
  readonly module: object;
  /** The shared `WebAssembly.Memory`. */
  readonly memory: { readonly buffer: ArrayBuffer };
  /** Byte offset of the control block in the memory. */
  readonly control: number;
  /** This worker's thread index (≥ 1; the caller is thread 0). */
  readonly thread: number;
  /** Number of threads (the caller and the workers). */
  readonly threads: number;
  /** Number of bands. */
  readonly bands: number;
  /** The exports a program may call, by index. */
  readonly names: readonly string[];
  /** The generation counter when the caller posted this message. */
  readonly generation: number;
  /** Where this worker reports its error (`ThreadErrorData` of `@bilevel/core`) before it sets the failure flag: the caller reads it synchronously. */
  readonly errors: MessagePort;
}

/** Report `e` to the caller, then mark the bands failed (so the caller finds the report once it sees the flag). */
function failWith(m: AttachMessage, ctl: Int32Array, e: unknown): void {
  m.errors.postMessage(threadErrorData(e));
  fail(ctl, m.bands);
}

/** The WebAssembly JS API used here (typed locally: the ES lib does not declare it). */
const wasm = (globalThis as unknown as { WebAssembly: { Instance: new (module: object, imports: object) => { exports: Record<string, BandExport> } } })
  .WebAssembly;

function serve(m: AttachMessage): void {
  const ctl = new Int32Array(m.memory.buffer, m.control, controlWords(m.bands));
  let fns: BandExport[];
  try {
    const exports = new wasm.Instance(m.module, { env: { memory: m.memory } }).exports;
    fns = m.names.map((name) => exports[name]!);
  } catch (e) {
    failWith(m, ctl, e);
    Atomics.add(ctl, CONTROL.detached, 1);
    Atomics.notify(ctl, CONTROL.detached);
    return;
  }
  Atomics.add(ctl, CONTROL.attached, 1);
  Atomics.notify(ctl, CONTROL.attached);
  let seen = m.generation;
  const scratch = programScratch(m.bands);
  try {
    for (;;) {
      waitFor(ctl, CONTROL.generation, (seen + 1) | 0);
      // a late thread skips the programs it missed: the others have run them
      seen = Atomics.load(ctl, CONTROL.generation);
      if (Atomics.load(ctl, CONTROL.op) === OP.detach) break;
      runProgram(ctl, fns, m.thread, m.threads, m.bands, scratch);
    }
  } catch (e) {
    if (!(e instanceof BandFailure)) failWith(m, ctl, e);
  } finally {
    Atomics.add(ctl, CONTROL.detached, 1);
    Atomics.notify(ctl, CONTROL.detached);
  }
}

parentPort!.on('message', (m: AttachMessage) => serve(m));
