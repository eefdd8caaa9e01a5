/**
 * The protocol between the threads that run one WebAssembly kernel in row bands on a shared
 * memory: a control block of `Int32` words in that memory, a program of phases the calling
 * thread writes there, and the waits (`Atomics.wait` / `Atomics.notify`) that order the phases
 * across threads. Each thread (the caller runs band 0, worker thread k band k) calls the same
 * exports of its own instance of the module with its band index as last argument; no message is
 * posted per call. Used by `band-team.ts` (the caller's side) and `band-worker.ts` (the workers').
 * @module
 */

/** Phases one program may have. */
export const MAX_PHASES = 8;

/** Arguments a phase passes before the band index. */
export const MAX_ARGS = 4;

/** `Int32` words per phase in the program: export, wait, argument count, arguments. */
const PHASE_WORDS = 3 + MAX_ARGS;

/** Words between two progress counters (one counter per 64-byte cache line). */
const PROGRESS_STRIDE = 16;

/** Word indices of the control block. */
export const CONTROL = {
  /** Incremented by the caller for each program (and for the detach): workers wait on it. */
  generation: 0,
  /** What the new generation means: {@link OP}. */
  op: 1,
  /** Non-zero once a thread failed: every wait then throws {@link BandFailure}. */
  failed: 2,
  /** Workers that instantiated the module and wait for programs. */
  attached: 3,
  /** Workers that stopped waiting (detached, or failed). */
  detached: 4,
  /** Phases of the current program. */
  phases: 5,
  /** The program: {@link MAX_PHASES} phases of export index, {@link WAIT} kind, argument count, arguments. */
  program: 16,
  /** Progress counters, one per band: phases the band has finished since it attached. */
  progress: 16 + MAX_PHASES * PHASE_WORDS,
} as const;

/** The meanings of a new generation. */
export const OP = { run: 1, detach: 2 } as const;

/** What a phase waits for before it starts (the first phase waits for the program only). */
export const WAIT = {
  /** Nothing. */
  none: 0,
  /** The band above (band − 1) finished the previous phase. */
  previous: 1,
  /** Every band finished the previous phase (a barrier). */
  all: 2,
} as const;

/** One phase of a program: call export `fn` with `args` and the band index, after `wait`. */
export interface Phase {
  /** Index of the export in the names the workers were given. */
  readonly fn: number;
  /** What to wait for first. */
  readonly wait: (typeof WAIT)[keyof typeof WAIT];
  /** Integer arguments before the band index (at most {@link MAX_ARGS}). */
  readonly args: readonly number[];
}

/** Words of the control block for `bands` bands. */
export function controlWords(bands: number): number {
  return CONTROL.progress + PROGRESS_STRIDE * bands;
}

/** Index of band `b`'s progress counter. */
export function progressIndex(b: number): number {
  return CONTROL.progress + PROGRESS_STRIDE * b;
}

/** Thrown by a wait once another thread has failed (the program cannot finish). */
export class BandFailure extends Error {
  constructor() {
    super('a thread of the row bands failed');
    this.name = 'BandFailure';
  }
}

/**
 * Loads of a word before the thread sleeps in `Atomics.wait`: a phase of another band usually
 * ends within microseconds, and a futex wake-up costs tens of them.
 */
const SPIN = 1 << 14;

/**
 * Return once `ctl[index] ≥ target` (as a wrapping 32-bit counter): spin a little, then sleep in
 * `Atomics.wait` (woken by the writer's `Atomics.notify`; at most 100 ms at a time, to see a
 * failure). Throws {@link BandFailure} once `failed` is set.
 */
export function waitFor(ctl: Int32Array, index: number, target: number): void {
  for (let spin = 0; spin < SPIN; spin++) if (((Atomics.load(ctl, index) - target) | 0) >= 0) return;
  for (;;) {
    const v = Atomics.load(ctl, index);
    if (((v - target) | 0) >= 0) return;
    if (Atomics.load(ctl, CONTROL.failed) !== 0) throw new BandFailure();
    Atomics.wait(ctl, index, v, 100);
  }
}

/** Write `phases` as the program of the next generation. */
export function writeProgram(ctl: Int32Array, phases: readonly Phase[]): void {
  if (phases.length > MAX_PHASES) throw new RangeError(`band program: at most ${MAX_PHASES} phases`);
  for (let p = 0; p < phases.length; p++) {
    const phase = phases[p]!;
    const at = CONTROL.program + p * PHASE_WORDS;
    if (phase.args.length > MAX_ARGS) throw new RangeError(`band program: at most ${MAX_ARGS} arguments`);
    ctl[at] = phase.fn;
    ctl[at + 1] = phase.wait;
    ctl[at + 2] = phase.args.length;
    for (let k = 0; k < phase.args.length; k++) ctl[at + 3 + k] = phase.args[k]!;
  }
  ctl[CONTROL.phases] = phases.length;
}

/** An export of a band kernel: integer arguments, the band index last. */
export type BandExport = (...args: number[]) => unknown;

/**
 * Run the current program as band `band` of `bands`: each phase after its wait, then this band's
 * progress counter advanced (and its waiters woken). The counters of all bands are equal when a
 * program starts (the caller waits for every band before it writes the next).
 */
export function runProgram(ctl: Int32Array, fns: readonly BandExport[], band: number, bands: number): void {
  const own = progressIndex(band);
  const base = Atomics.load(ctl, own);
  const n = ctl[CONTROL.phases]!;
  for (let p = 0; p < n; p++) {
    const at = CONTROL.program + p * PHASE_WORDS;
    if (p > 0) {
      const wait = ctl[at + 1];
      if (wait === WAIT.all) for (let k = 0; k < bands; k++) waitFor(ctl, progressIndex(k), base + p);
      else if (wait === WAIT.previous && band > 0) waitFor(ctl, progressIndex(band - 1), base + p);
    }
    const fn = fns[ctl[at]!]!;
    const argc = ctl[at + 2]!;
    if (argc === 0) fn(band);
    else if (argc === 1) fn(ctl[at + 3]!, band);
    else if (argc === 2) fn(ctl[at + 3]!, ctl[at + 4]!, band);
    else fn(...Array.from(ctl.subarray(at + 3, at + 3 + argc)), band);
    Atomics.store(ctl, own, (base + p + 1) | 0);
    Atomics.notify(ctl, own);
  }
}

/** Mark the bands failed and wake every waiter (they throw {@link BandFailure}). */
export function fail(ctl: Int32Array, bands: number): void {
  Atomics.store(ctl, CONTROL.failed, 1);
  for (const index of [CONTROL.generation, CONTROL.attached, CONTROL.detached]) Atomics.notify(ctl, index);
  for (let k = 0; k < bands; k++) Atomics.notify(ctl, progressIndex(k));
}
