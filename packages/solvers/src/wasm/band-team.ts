/**
 * The caller's side of a kernel run in row bands on several threads: a team of worker threads
 * (`band-worker.ts`), each with its own instance of the kernel's module on the kernel's shared
 * memory, driven through the control block of `band-program.ts` — the caller writes a program,
 * advances the generation and takes part as thread 0; the threads claim the bands; `Atomics`
 * waits order the stages. Workers come from a pool of idle threads of this process and go back
 * to it when the team is detached (`release` of the kernel), so repeated solves do not start
 * threads each time. Every worker is `unref`'d (an idle pool never keeps a process alive) and an
 * idle worker ends after {@link IDLE_MS}.
 *
 * Threads need Node's `worker_threads`, reached through `process.getBuiltinModule` (Node ≥ 20.16)
 * so that nothing of Node is imported where this module is bundled for a browser: elsewhere
 * {@link threadsAvailable} is false and kernels run on one thread.
 * @module
 */
import { BilevelError, threadFailure, workerEntry, type ThreadErrorData } from '@bilevel/core';
import type * as NodeWorkerThreads from 'node:worker_threads';
import type { MessagePort, Worker } from 'node:worker_threads';
import {
  BandFailure,
  CONTROL,
  OP,
  awaitStage,
  controlWords,
  fail,
  programScratch,
  runProgram,
  waitFor,
  writeProgram,
  type BandExport,
  type ProgramScratch,
  type Stage,
} from './band-program.js';
import type { AttachMessage } from './band-worker.js';

/** Milliseconds an idle worker thread is kept for the next team before it ends. */
export const IDLE_MS = 10_000;

/** Milliseconds the caller waits for new threads to start (loading the sources through tsx takes a few hundred). */
const START_MS = 60_000;

type WorkerThreads = typeof NodeWorkerThreads;

/** Node's `worker_threads`, or `undefined` where there is none (browsers, Node < 20.16). */
function workerThreads(): WorkerThreads | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.('node:worker_threads') as WorkerThreads | undefined;
}

/** Whether kernels can run on several threads here (Node's `worker_threads` and `SharedArrayBuffer`). */
export function threadsAvailable(): boolean {
  return typeof SharedArrayBuffer === 'function' && typeof Atomics === 'object' && workerThreads() !== undefined;
}

/** A worker thread of the pool, with the flag `ts-entry.mjs` sets when the sources fail to load. */
interface PooledWorker {
  readonly worker: Worker;
  readonly flag: Int32Array;
  idleTimer?: ReturnType<typeof setTimeout>;
}

/** Idle workers, ready for the next team. */
const idle: PooledWorker[] = [];
/** Workers that are attached to a team. */
const busy = new Set<PooledWorker>();

function spawn(wt: WorkerThreads): PooledWorker {
  const entry = workerEntry('band-worker', import.meta.url);
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new wt.Worker(entry.url, { execArgv: entry.execArgv, workerData: { ...entry.workerData, flag: flag.buffer } });
  worker.unref();
  const pooled: PooledWorker = { worker, flag };
  // an error ends the thread ('exit' follows); the caller of a team sees it through the control block
  worker.on('error', (e) => console.error(`band worker thread failed: ${(e as Error).message}`));
  worker.on('exit', () => {
    busy.delete(pooled);
    const k = idle.indexOf(pooled);
    if (k >= 0) idle.splice(k, 1);
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer);
  });
  return pooled;
}

/** Take `count` workers: idle ones first, then new ones (none when a thread cannot be started). */
function take(wt: WorkerThreads, count: number): PooledWorker[] {
  const out: PooledWorker[] = [];
  try {
    while (out.length < count) {
      const w = idle.pop() ?? spawn(wt);
      if (w.idleTimer) clearTimeout(w.idleTimer);
      delete w.idleTimer;
      busy.add(w);
      out.push(w);
    }
  } catch (e) {
    giveBack(out);
    throw e;
  }
  return out;
}

/** Give workers back to the idle pool; each ends after {@link IDLE_MS} unless a team takes it. */
function giveBack(workers: readonly PooledWorker[]): void {
  for (const w of workers) {
    if (!busy.delete(w)) continue;
    idle.push(w);
    w.idleTimer = setTimeout(() => {
      const k = idle.indexOf(w);
      if (k >= 0) {
        idle.splice(k, 1);
        void w.worker.terminate();
      }
    }, IDLE_MS);
    w.idleTimer.unref();
  }
}

/** Worker threads of the pool: attached to a team (`busy`), or idle. */
export function bandWorkerCounts(): { readonly busy: number; readonly idle: number } {
  return { busy: busy.size, idle: idle.length };
}

/** End the idle worker threads now (resolves when they have exited). */
export async function terminateIdleBandWorkers(): Promise<void> {
  const ending = idle.splice(0, idle.length);
  for (const w of ending) if (w.idleTimer) clearTimeout(w.idleTimer);
  await Promise.all(ending.map((w) => w.worker.terminate()));
}

/** What a team needs of the kernel: its module, its shared memory and where the control block is. */
export interface BandTeamSpec {
  /** The compiled module (importing a shared `env.memory`). */
  readonly module: object;
  /** The shared `WebAssembly.Memory` the caller's instance uses. */
  readonly memory: { readonly buffer: ArrayBuffer };
  /** Byte offset of a zeroed region of {@link controlBytes} bytes in the memory (4-aligned). */
  readonly control: number;
  /** Number of threads (≥ 2): the caller and `threads − 1` worker threads. */
  readonly threads: number;
  /** Number of bands (≥ `threads`). */
  readonly bands: number;
  /** The caller's exports that programs call, by index. */
  readonly exports: readonly BandExport[];
  /** Their names (the workers look them up in their instances). */
  readonly names: readonly string[];
  /** Who runs, for messages, e.g. `the fused Huber-TV kernel`. */
  readonly who: string;
}

/** Bytes of the control block of a team of `bands` bands. */
export function controlBytes(bands: number): number {
  return 4 * controlWords(bands);
}

/**
 * `threads − 1` worker threads attached to a kernel's shared memory, running with the caller the
 * programs it gives {@link BandTeam.run}. Detach (`detach`) before the memory is reused: the
 * workers wait on the memory's control block until then.
 */
export class BandTeam {
  private readonly ctl: Int32Array;
  private workers: PooledWorker[] | null;
  /** The serial of the next stage (serials only grow; the claims of a zeroed block are 0). */
  private serial = 1;
  private readonly scratch: ProgramScratch;
  /** The caller's ends of the workers' error channels (see {@link AttachMessage.errors}). */
  private readonly errors: MessagePort[];
  /** The first error a worker reported, once read from {@link BandTeam.errors}. */
  private failure: ThreadErrorData | undefined;
  /** Whether {@link BandTeam.failure} was thrown to the caller. */
  private thrown = false;
  private readonly wt: WorkerThreads;

  /**
   * Attach workers (taking idle ones, starting new ones) and wait until each has instantiated the
   * module. Throws a {@link BilevelError} when `worker_threads` is missing or a thread does not
   * start.
   */
  constructor(private readonly spec: BandTeamSpec) {
    const wt = workerThreads();
    if (!wt || !threadsAvailable()) throw new BilevelError(`${spec.who}: worker threads need Node's worker_threads (Node ≥ 20.16); use threads 1`);
    this.wt = wt;
    this.ctl = new Int32Array(spec.memory.buffer, spec.control, controlWords(spec.bands));
    this.scratch = programScratch(spec.bands);
    const workers = take(wt, spec.threads - 1);
    this.workers = workers;
    this.errors = [];
    const generation = Atomics.load(this.ctl, CONTROL.generation);
    workers.forEach((w, k) => {
      const channel = new wt.MessageChannel();
      this.errors.push(channel.port1);
      const message: AttachMessage = {
        module: spec.module,
        memory: spec.memory,
        control: spec.control,
        thread: k + 1,
        threads: spec.threads,
        bands: spec.bands,
        names: spec.names,
        generation,
        errors: channel.port2,
      };
      w.worker.postMessage(message, [channel.port2]);
    });
    const deadline = Date.now() + START_MS;
    for (;;) {
      const attached = Atomics.load(this.ctl, CONTROL.attached);
      if (attached >= workers.length) break;
      const dead = workers.some((w) => Atomics.load(w.flag, 0) === 2) || Atomics.load(this.ctl, CONTROL.failed) !== 0;
      if (dead || Date.now() > deadline) {
        const failure = this.reported();
        this.abandon();
        if (!dead && !failure) throw new BilevelError(`${spec.who}: a worker thread did not start within ${START_MS / 1000} s; use threads 1`);
        throw threadFailure(spec.who, 'a worker thread failed to start', 'use threads 1', failure);
      }
      Atomics.wait(this.ctl, CONTROL.attached, attached, 50);
    }
  }

  /** Run `stages` on every band (this thread taking part) and return once every band has finished. */
  run(stages: readonly Stage[]): void {
    if (!this.workers) throw new BilevelError(`${this.spec.who}: its threads were released`);
    const ctl = this.ctl;
    if (Atomics.load(ctl, CONTROL.failed) !== 0) this.failed();
    const serial = this.serial;
    this.serial = (serial + stages.length) | 0;
    writeProgram(ctl, stages, serial);
    Atomics.store(ctl, CONTROL.op, OP.run);
    Atomics.add(ctl, CONTROL.generation, 1);
    Atomics.notify(ctl, CONTROL.generation);
    try {
      runProgram(ctl, this.spec.exports, 0, this.spec.threads, this.spec.bands, this.scratch);
      awaitStage(ctl, this.spec.bands, (serial + stages.length - 1) | 0);
    } catch (e) {
      if (e instanceof BandFailure) this.failed();
      fail(ctl, this.spec.bands);
      throw e;
    }
  }

  /**
   * Stop the workers' waits on the memory and give them back to the pool (returns once each has
   * stopped reading the control block, so the memory can be reused). Detaching twice does nothing.
   */
  detach(): void {
    const workers = this.workers;
    if (!workers) return;
    this.workers = null;
    const ctl = this.ctl;
    Atomics.store(ctl, CONTROL.op, OP.detach);
    Atomics.add(ctl, CONTROL.generation, 1);
    Atomics.notify(ctl, CONTROL.generation);
    // a worker that failed or never attached has counted itself detached (or never reads the block)
    const attached = Atomics.load(ctl, CONTROL.attached);
    try {
      waitFor(ctl, CONTROL.detached, attached);
    } catch {
      // failed: every worker leaves its loop on the failure flag; wait for them without the check
      while (Atomics.load(ctl, CONTROL.detached) < attached) Atomics.wait(ctl, CONTROL.detached, Atomics.load(ctl, CONTROL.detached), 50);
    }
    // a failure no run threw (none is expected: a worker fails in a band the caller waits for) is not dropped
    const failure = this.reported();
    if (failure && !this.thrown) console.error(`${this.spec.who}: a worker thread failed: ${failure.stack ?? `${failure.name}: ${failure.message}`}`);
    for (const port of this.errors) port.close();
    giveBack(workers);
  }

  /** After a failed start: end the team's threads (they may still be loading). */
  private abandon(): void {
    const workers = this.workers ?? [];
    this.workers = null;
    fail(this.ctl, this.spec.bands);
    for (const port of this.errors) port.close();
    for (const w of workers) {
      busy.delete(w);
      void w.worker.terminate();
    }
  }

  /**
   * The first error a worker reported, if any: a worker posts it before it sets the failure flag,
   * so once the flag is seen it is in the port's queue (read synchronously: this thread does not
   * return to its event loop while it waits for the bands).
   */
  private reported(): ThreadErrorData | undefined {
    for (const port of this.errors) {
      if (this.failure) break;
      const received = this.wt.receiveMessageOnPort(port);
      if (received) this.failure = received.message as ThreadErrorData;
    }
    return this.failure;
  }

  private failed(): never {
    const failure = this.reported();
    this.thrown = failure !== undefined;
    throw threadFailure(this.spec.who, 'a worker thread failed', 'release the state and use threads 1', failure);
  }
}
