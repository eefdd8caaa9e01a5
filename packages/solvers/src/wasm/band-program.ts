/**
 * The protocol between the threads that run one WebAssembly kernel in row bands on a shared
 * memory: a control block of `Int32` words in that memory, a program of stages the calling
 * thread writes there, and the waits (`Atomics.wait` / `Atomics.notify`) that order them across
 * threads. Each thread (the caller and the worker threads) has its own instance of the module
 * and calls the same exports with a band index as last argument; no message is posted per call.
 *
 * A stage runs a task on every band: `first(band)`, then `rest(band)`, then — once the next band
 * has finished its `first` — `link(band)` (each part optional). Bands are claimed with
 * `Atomics.compareExchange`: a thread first tries the bands of its own share (thread t of T:
 * bands ⌊tB/T⌋ … ⌊(t+1)B/T⌋ − 1, the same every time), then any band still unclaimed, so a
 * thread that starts late (descheduled on a busy machine) delays nobody: the others take its
 * bands. The thread that ran a band's `rest` runs its `link`, later if the next band's `first` is
 * not done yet. A stage starts once every band has finished the one before (a barrier). Which
 * thread runs a band never changes what the band computes.
 *
 * Used by `band-team.ts` (the caller's side) and `band-worker.ts` (the workers').
 * @module
 */

/** Stages one program may have. */
export const MAX_STAGES = 8;

/** Arguments a stage passes before the band index. */
export const MAX_ARGS = 4;

/** `Int32` words per stage in the program: `first`, `rest`, `link` (export indices, −1: none), argument count, arguments. */
const STAGE_WORDS = 4 + MAX_ARGS;

/** Words per band: its claim, its `first` done, its task done (stage serials), on a 64-byte line of their own. */
const BAND_STRIDE = 16;

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
  /** Stages of the current program. */
  stages: 5,
  /** Serial of the program's first stage (stage j has serial + j; serials only grow). */
  serial: 6,
  /** Odd while the caller writes a program (a seqlock: a thread copies the program until it reads the same even version before and after). */
  version: 7,
  /** The program: {@link MAX_STAGES} stages of {@link STAGE_WORDS} words. */
  program: 16,
  /** Per band: claim, first done, done (the serial of the stage that did it). */
  bands: 16 + MAX_STAGES * STAGE_WORDS,
} as const;

/** Offsets of a band's words. */
const CLAIM = 0;
const FIRST = 1;
const DONE = 2;

/** The meanings of a new generation. */
export const OP = { run: 1, detach: 2 } as const;

/** One stage of a program: every band's task (see the module comment). Export indices refer to the names the workers were given. */
export interface Stage {
  /** Run first on each band. */
  readonly first: number;
  /** Run next on each band. */
  readonly rest?: number;
  /** Run last on each band but the last, after the next band's `first`. */
  readonly link?: number;
  /** Integer arguments before the band index (at most {@link MAX_ARGS}). */
  readonly args: readonly number[];
}

/** Words of the control block for `bands` bands. */
export function controlWords(bands: number): number {
  return CONTROL.bands + BAND_STRIDE * bands;
}

/** Index of band `b`'s word `which`. */
function word(b: number, which: number): number {
  return CONTROL.bands + BAND_STRIDE * b + which;
}

/** Thrown by a wait once another thread has failed (the program cannot finish). */
export class BandFailure extends Error {
  constructor() {
    super('a thread of the row bands failed');
    this.name = 'BandFailure';
  }
}

/**
 * Loads of a word before the thread sleeps in `Atomics.wait`: another band's work usually ends
 * within microseconds, and a futex wake-up costs tens of them.
 */
const SPIN = 1 << 14;

/** Whether `v ≥ target` as wrapping 32-bit counters. */
const reached = (v: number, target: number): boolean => ((v - target) | 0) >= 0;

/**
 * Return once `ctl[index] ≥ target` (as a wrapping 32-bit counter): spin a little, then sleep in
 * `Atomics.wait` (woken by the writer's `Atomics.notify`; at most 100 ms at a time, to see a
 * failure). Throws {@link BandFailure} once `failed` is set.
 */
export function waitFor(ctl: Int32Array, index: number, target: number): void {
  for (let spin = 0; spin < SPIN; spin++) if (reached(Atomics.load(ctl, index), target)) return;
  for (;;) {
    const v = Atomics.load(ctl, index);
    if (reached(v, target)) return;
    if (Atomics.load(ctl, CONTROL.failed) !== 0) throw new BandFailure();
    Atomics.wait(ctl, index, v, 100);
  }
}

/** Words of a program as a thread copies it: stage count, serial, then the stages. */
export const PROGRAM_WORDS = 2 + MAX_STAGES * STAGE_WORDS;

/**
 * Write `stages` as the program of the next generation, its first stage numbered `serial`. A
 * thread that wakes late may read the program while the caller writes the next one (the caller
 * does not wait for a thread that has no band left): the version counter around the writes lets
 * it copy a consistent program (see {@link runProgram}).
 */
export function writeProgram(ctl: Int32Array, stages: readonly Stage[], serial: number): void {
  if (stages.length > MAX_STAGES) throw new RangeError(`band program: at most ${MAX_STAGES} stages`);
  Atomics.add(ctl, CONTROL.version, 1);
  for (let j = 0; j < stages.length; j++) {
    const stage = stages[j]!;
    const at = CONTROL.program + j * STAGE_WORDS;
    if (stage.args.length > MAX_ARGS) throw new RangeError(`band program: at most ${MAX_ARGS} arguments`);
    Atomics.store(ctl, at, stage.first);
    Atomics.store(ctl, at + 1, stage.rest ?? -1);
    Atomics.store(ctl, at + 2, stage.link ?? -1);
    Atomics.store(ctl, at + 3, stage.args.length);
    for (let k = 0; k < stage.args.length; k++) Atomics.store(ctl, at + 4 + k, stage.args[k]!);
  }
  Atomics.store(ctl, CONTROL.stages, stages.length);
  Atomics.store(ctl, CONTROL.serial, serial);
  Atomics.add(ctl, CONTROL.version, 1);
}

/** Copy the current program into `program` ({@link PROGRAM_WORDS} words): retried until no write overlapped the copy. */
function readProgram(ctl: Int32Array, program: Int32Array): void {
  for (;;) {
    const v = Atomics.load(ctl, CONTROL.version);
    if (v & 1) continue;
    program[0] = Atomics.load(ctl, CONTROL.stages);
    program[1] = Atomics.load(ctl, CONTROL.serial);
    for (let w = 0; w < PROGRAM_WORDS - 2; w++) program[2 + w] = Atomics.load(ctl, CONTROL.program + w);
    if (Atomics.load(ctl, CONTROL.version) === v) return;
  }
}

/** An export of a band kernel: integer arguments, the band index last. */
export type BandExport = (...args: number[]) => unknown;

/** Call export `fn` with the arguments of the stage at `at` of `program` on `band`. */
function call(program: Int32Array, fns: readonly BandExport[], fn: number, at: number, band: number): void {
  const f = fns[fn]!;
  const argc = program[at + 3]!;
  if (argc === 0) f(band);
  else if (argc === 1) f(program[at + 4]!, band);
  else if (argc === 2) f(program[at + 4]!, program[at + 5]!, band);
  else f(...Array.from(program.subarray(at + 4, at + 4 + argc)), band);
}

/** Set band `b`'s word `which` to `serial` and wake its waiters. */
function mark(ctl: Int32Array, b: number, which: number, serial: number): void {
  Atomics.store(ctl, word(b, which), serial);
  Atomics.notify(ctl, word(b, which));
}

/** A thread's scratch for {@link runProgram}. */
export interface ProgramScratch {
  /** The copy of the program ({@link PROGRAM_WORDS} words). */
  readonly program: Int32Array;
  /** Bands whose `link` waits (one entry per band). */
  readonly pending: Int32Array;
}

/** Scratch for {@link runProgram} over `bands` bands (allocated once per thread). */
export function programScratch(bands: number): ProgramScratch {
  return { program: new Int32Array(PROGRAM_WORDS), pending: new Int32Array(bands) };
}

/**
 * Run the current program as thread `thread` of `threads` over `bands` bands (see the module
 * comment); returns once this thread has no band left in the last stage (others may still run).
 * A thread that runs a program late finds its bands claimed (claims and marks only grow), so it
 * changes nothing.
 */
export function runProgram(ctl: Int32Array, fns: readonly BandExport[], thread: number, threads: number, bands: number, scratch: ProgramScratch): void {
  const { program, pending } = scratch;
  readProgram(ctl, program);
  const n = program[0]!;
  const serial0 = program[1]!;
  const own = Math.floor((thread * bands) / threads);
  for (let j = 0; j < n; j++) {
    const s = (serial0 + j) | 0;
    if (j > 0) for (let b = 0; b < bands; b++) waitFor(ctl, word(b, DONE), (s - 1) | 0);
    const at = 2 + j * STAGE_WORDS;
    const rest = program[at + 1]!;
    const link = program[at + 2]!;
    let waiting = 0;
    for (let k = 0; k < bands; k++) {
      const b = (own + k) % bands;
      const claim = word(b, CLAIM);
      const c = Atomics.load(ctl, claim);
      if (reached(c, s) || Atomics.compareExchange(ctl, claim, c, s) !== c) continue;
      call(program, fns, program[at]!, at, b);
      mark(ctl, b, FIRST, s);
      if (rest >= 0) call(program, fns, rest, at, b);
      if (link >= 0 && b + 1 < bands) pending[waiting++] = b;
      else mark(ctl, b, DONE, s);
      if (waiting > 0) waiting = runLinks(ctl, program, fns, at, s, pending, waiting, false);
    }
    runLinks(ctl, program, fns, at, s, pending, waiting, true);
  }
}

/**
 * Run the `link` of the first `waiting` bands of `pending` whose next band has finished its
 * `first` (all of them with `block`, waiting as needed); returns how many are left, kept at the
 * front of `pending`.
 */
function runLinks(ctl: Int32Array, program: Int32Array, fns: readonly BandExport[], at: number, s: number, pending: Int32Array, waiting: number, block: boolean): number {
  let kept = 0;
  for (let q = 0; q < waiting; q++) {
    const b = pending[q]!;
    if (block) waitFor(ctl, word(b + 1, FIRST), s);
    else if (!reached(Atomics.load(ctl, word(b + 1, FIRST)), s)) {
      pending[kept++] = b;
      continue;
    }
    call(program, fns, program[at + 2]!, at, b);
    mark(ctl, b, DONE, s);
  }
  return kept;
}

/** Wait until every band has finished the stage numbered `serial`. */
export function awaitStage(ctl: Int32Array, bands: number, serial: number): void {
  for (let b = 0; b < bands; b++) waitFor(ctl, word(b, DONE), serial);
}

/** Mark the bands failed and wake every waiter (they throw {@link BandFailure}). */
export function fail(ctl: Int32Array, bands: number): void {
  Atomics.store(ctl, CONTROL.failed, 1);
  for (const index of [CONTROL.generation, CONTROL.failed, CONTROL.attached, CONTROL.detached]) Atomics.notify(ctl, index);
  for (let b = 0; b < bands; b++) for (const which of [CLAIM, FIRST, DONE]) Atomics.notify(ctl, word(b, which));
}
