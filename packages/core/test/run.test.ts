import { describe, expect, it, vi } from 'vitest';
import {
  ValidationError,
  abortSignal,
  allOf,
  anyOf,
  budget,
  checkpointEvery,
  maxIterations,
  maxTotalIterations,
  run,
  runAsync,
  tolerance,
  untilIteration,
  wallTime,
  when,
  zeroCost,
  type Certificate,
  type Cost,
  type Machine,
  type RunResult,
  type Solver,
  type StopReason,
} from '@bilevel/core';

/** A toy solver: x_k = 2^{−k}; its certificate is `distance = x`, `other = 10x`; counts certificates. */
interface ToyState {
  iteration: number;
  readonly cost: Cost;
  x: number;
  halt: StopReason | null;
  certificates: number;
}
class Toy implements Solver<number, ToyState, Certificate> {
  constructor(private readonly sleepMs = 0, private readonly failAt = Infinity) {}
  init(x0: number): ToyState {
    return { iteration: 0, cost: zeroCost(), x: x0, halt: null, certificates: 0 };
  }
  step(s: ToyState): void {
    if (this.sleepMs > 0) {
      const t = performance.now();
      while (performance.now() - t < this.sleepMs) {
        /* busy wait */
      }
    }
    s.x /= 2;
    s.iteration++;
    s.cost.iterations++;
    s.cost.apply += 3;
    if (s.iteration >= this.failAt) s.halt = 'diverged';
  }
  certificate(s: ToyState): Certificate {
    s.certificates++;
    return { distance: s.x, other: 10 * s.x };
  }
}

describe('run and stopping criteria', () => {
  it('maxIterations counts iterations of this run', () => {
    const solver = new Toy();
    const s = solver.init(1);
    const r = run(solver, s, { stop: maxIterations(7) });
    expect(r.reason).toBe('max-iterations');
    expect(r.iterations).toBe(7);
    const r2 = run(solver, s, { stop: maxIterations(3) });
    expect(r2.iterations).toBe(3);
    expect(s.iteration).toBe(10);
  });

  it('tolerance is checked every m iterations on a fresh certificate; the final certificate is current', () => {
    const solver = new Toy();
    const s = solver.init(1);
    const r = run(solver, s, { stop: anyOf(tolerance(1e-3), maxIterations(100)), certificateEvery: 4 });
    // 2^{−k} ≤ 1e-3 first at k = 10, checked at k = 12
    expect(r.reason).toBe('converged');
    expect(r.iterations).toBe(12);
    expect(r.certificate.distance).toBe(2 ** -12);
    expect(s.certificates).toBe(4); // k = 0, 4, 8, 12
  });

  it('tolerance on another certificate key', () => {
    const solver = new Toy();
    const r = run(solver, solver.init(1), { stop: anyOf(tolerance(1e-3, 'other'), maxIterations(100)), certificateEvery: 1 });
    expect(r.iterations).toBe(14);
  });

  it('no certificates are computed when nothing reads them (except the final one)', () => {
    const solver = new Toy();
    const s = solver.init(1);
    run(solver, s, { stop: maxIterations(50) });
    expect(s.certificates).toBe(1);
  });

  it('allOf needs every criterion at once; anyOf takes the first', () => {
    const solver = new Toy();
    const r = run(solver, solver.init(1), { stop: allOf(maxIterations(5), tolerance(1e-2)), certificateEvery: 1 });
    expect(r.iterations).toBe(7);
    expect(r.reason).toBe('max-iterations');
    const r2 = run(solver, solver.init(1), { stop: anyOf(tolerance(1e-2), maxIterations(5)), certificateEvery: 1 });
    expect(r2.reason).toBe('max-iterations');
    expect(r2.iterations).toBe(5);
  });

  it('wallTime stops with time-limit (on a fake clock that advances 0.5 ms per reading)', () => {
    let now = 0;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => (now += 0.5));
    try {
      const solver = new Toy();
      const r = run(solver, solver.init(1), { stop: anyOf(wallTime(20), maxIterations(10000)) });
      expect(r.reason).toBe('time-limit');
      expect(r.elapsedMs).toBeGreaterThanOrEqual(20);
      expect(r.iterations).toBeGreaterThan(2);
      expect(r.iterations).toBeLessThan(40);
    } finally {
      clock.mockRestore();
    }
  });

  it('abortSignal stops with aborted', () => {
    const ctl = new AbortController();
    const solver = new Toy();
    const r = run(solver, solver.init(1), {
      stop: anyOf(abortSignal(ctl.signal), maxIterations(1000)),
      callbacks: {
        onStep: ({ state: st }) => {
          if (st.iteration === 9) ctl.abort();
        },
      },
    });
    expect(r.reason).toBe('aborted');
    expect(r.iterations).toBe(9);
  });

  it('budget stops on a cost counter', () => {
    const solver = new Toy();
    const r = run(solver, solver.init(1), { stop: anyOf(budget({ apply: 30 }), maxIterations(1000)) });
    expect(r.reason).toBe('budget');
    expect(r.iterations).toBe(10);
  });

  it('halt set by step (divergence) stops the run', () => {
    const solver = new Toy(0, 6);
    const r = run(solver, solver.init(1), { stop: maxIterations(100) });
    expect(r.reason).toBe('diverged');
    expect(r.iterations).toBe(6);
  });

  it('a callback sees every step, certificates every m, and can stop the run', () => {
    const solver = new Toy();
    const seen: (number | undefined)[] = [];
    const r = run(solver, solver.init(1), {
      stop: maxIterations(100),
      certificateEvery: 3,
      callbacks: {
        onStep: ({ state: st, certificate: c }) => {
          seen.push(c?.distance);
          return st.iteration === 7 ? 'aborted' : undefined;
        },
      },
    });
    expect(r.reason).toBe('aborted');
    expect(seen).toEqual([undefined, undefined, 2 ** -3, undefined, undefined, 2 ** -6, undefined]);
  });

  it('validates criteria arguments', () => {
    expect(() => maxIterations(-1)).toThrow(/n/);
    expect(() => tolerance(-1)).toThrow(/eps/);
    expect(() => wallTime(0)).toThrow(/ms/);
    expect(() => budget({ aply: 3 } as never)).toThrow(/aply/);
    expect(() => anyOf()).toThrow(/at least one/);
    const solver = new Toy();
    expect(() => run(solver, solver.init(1), { certificateEvery: 0 })).toThrow(/certificateEvery/);
  });
});

/** A machine with records and no certificate: `x ← x + 1`; halts with 'diverged' once `x ≥ divergeAt`. */
interface CountState {
  iteration: number;
  readonly cost: Cost;
  x: number;
}
interface CountRecord {
  readonly x: number;
}
const counter = (divergeAt = Infinity): Machine<CountState, CountRecord> => ({
  step: (s) => {
    s.x++;
    s.iteration++;
    s.cost.iterations += 2;
    s.cost.cgIterations += 1;
    return { x: s.x };
  },
  halted: (s, r) => (r !== undefined && r.x >= divergeAt ? 'diverged' : undefined),
});
const countState = (iteration = 0): CountState => ({ iteration, cost: zeroCost(), x: iteration });

describe('the run loop with records, state counters and machine halts', () => {
  it('untilIteration limits the state counter (over sessions), maxIterations this run', () => {
    const s = countState(600);
    const r = run(counter(), s, { stop: untilIteration(1000) });
    expect([r.reason, r.iterations, s.iteration]).toEqual(['max-iterations', 400, 1000]);
    expect(run(counter(), s, { stop: untilIteration(1000) }).iterations).toBe(0);
    expect(run(counter(), s, { stop: maxIterations(5) }).iterations).toBe(5);
  });

  it('maxTotalIterations limits totalIterations(state.cost)', () => {
    const s = countState();
    const r = run(counter(), s, { stop: maxTotalIterations(30) });
    expect([r.reason, r.iterations]).toEqual(['budget', 10]); // 3 per step
  });

  it('when(predicate) reads the last record; the result carries it; no certificate without one', () => {
    const r = run(counter(), countState(), { stop: when<CountState, CountRecord>((c) => c.record !== undefined && c.record.x >= 4, 'converged') });
    expect([r.reason, r.iterations, r.record]).toEqual(['converged', 4, { x: 4 }]);
    expect(r.certificate).toBeUndefined();
    expect(() => run(counter(), countState(), { stop: tolerance(1e-3) })).toThrow(ValidationError);
  });

  it("the machine's halt stops the run and wins over a callback's and a criterion's reason", () => {
    const seen: (StopReason | undefined)[] = [];
    const r = run(counter(3), countState(), {
      stop: maxIterations(3),
      callbacks: {
        onStep: (e) => {
          seen.push(e.halt);
          return e.halt ? 'aborted' : undefined;
        },
      },
    });
    expect([r.reason, r.iterations]).toEqual(['diverged', 3]);
    expect(seen).toEqual([undefined, undefined, 'diverged']);
    const later: number[] = [];
    const r2 = run(counter(3), countState(), {
      stop: maxIterations(100),
      callbacks: [{ onStep: () => 'aborted' }, { onStep: () => 'time-limit' }, { onStep: (e) => void later.push(e.iterations) }],
    });
    expect([r2.reason, r2.iterations]).toEqual(['aborted', 1]); // the first request wins
    expect(later).toEqual([1]); // and every callback still sees the step
  });

  it('a callback that returns something other than a StopReason is a mistake, named', () => {
    expect(() => run(counter(), countState(), { callbacks: { onStep: () => 1 as never } })).toThrow(/onStep returned 1; return a StopReason/);
  });

  it('a converged warm start takes no step (the certificate is checked at k = 0)', () => {
    const solver = new Toy();
    const s = solver.init(1e-6);
    const r = run(solver, s, { stop: anyOf(tolerance(1e-3), maxIterations(100)) });
    expect([r.reason, r.iterations, s.iteration]).toEqual(['converged', 0, 0]);
    expect(r.certificate.distance).toBe(1e-6);
    expect(s.certificates).toBe(1); // the k = 0 certificate is the final one
  });

  it('onStop receives the result, in callback order after every onStep', () => {
    const order: string[] = [];
    let result: RunResult<CountState, CountRecord, undefined> | undefined;
    const r = run(counter(), countState(), {
      stop: maxIterations(2),
      callbacks: [
        { onStep: (e) => void order.push(`a${e.iterations}`), onStop: () => void order.push('a-stop') },
        {
          onStep: (e) => void order.push(`b${e.iterations}`),
          onStop: (res) => {
            order.push('b-stop');
            result = res as typeof result;
          },
        },
      ],
    });
    expect(order).toEqual(['a1', 'b1', 'a2', 'b2', 'a-stop', 'b-stop']);
    expect(result).toEqual(r);
  });
});

describe('runAsync', () => {
  it('awaits asynchronous callbacks in order; run rejects them', async () => {
    const order: string[] = [];
    const later = (tag: string) => () => new Promise<void>((res) => setTimeout(() => (order.push(tag), res()), 1));
    const r = await runAsync(counter(), countState(), {
      stop: maxIterations(2),
      callbacks: [{ onStep: later('slow'), onStop: later('stop') }, { onStep: (e) => void order.push(`fast${e.iterations}`) }],
    });
    expect(r.iterations).toBe(2);
    expect(order).toEqual(['slow', 'fast1', 'slow', 'fast2', 'stop']);
    expect(() => run(counter(), countState(), { stop: maxIterations(2), callbacks: { onStep: async () => undefined } })).toThrow(TypeError);
  });

  it('yields to the event loop between steps, so an external abort stops it before the next step', async () => {
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 0);
    const s = countState();
    const r = await runAsync(counter(), s, { stop: anyOf(abortSignal(ctl.signal), maxIterations(1e7)) });
    expect(r.reason).toBe('aborted');
    expect(r.iterations).toBeLessThan(1e7);
    expect(s.iteration).toBe(r.iterations);
  });

  it('gives the same trajectory as run (solver with certificates)', async () => {
    const solver = new Toy();
    const a = run(solver, solver.init(1), { stop: anyOf(tolerance(1e-3), maxIterations(100)), certificateEvery: 4 });
    const b = await runAsync(solver, solver.init(1), { stop: anyOf(tolerance(1e-3), maxIterations(100)), certificateEvery: 4 });
    expect([b.reason, b.iterations, b.certificate]).toEqual([a.reason, a.iterations, a.certificate]);
  });
});

describe('checkpointEvery', () => {
  const saving = (every: number, options?: { onStop?: boolean }) => {
    const saved: number[] = [];
    return { saved, callback: checkpointEvery<CountState>(every, (s) => void saved.push(s.iteration), options) };
  };

  it('saves at multiples of state.iteration (continuing across sessions) and at the stop unless just saved', () => {
    const { saved, callback } = saving(3);
    const s = countState();
    run(counter(), s, { stop: untilIteration(7), callbacks: callback });
    expect(saved).toEqual([3, 6, 7]);
    run(counter(), s, { stop: untilIteration(9), callbacks: callback }); // resumed at 7: 9 is a multiple, not saved twice
    expect(saved).toEqual([3, 6, 7, 9]);
    run(counter(), s, { stop: untilIteration(9), callbacks: callback }); // no step: no save
    expect(saved).toEqual([3, 6, 7, 9]);
    const other = saving(3, { onStop: false });
    run(counter(), countState(), { stop: untilIteration(7), callbacks: other.callback });
    expect(other.saved).toEqual([3, 6]);
  });

  it('a new state at the iteration just saved in another run is still saved at its stop', () => {
    const { saved, callback } = saving(5);
    run(counter(), countState(), { stop: untilIteration(5), callbacks: callback });
    run(counter(), countState(2), { stop: untilIteration(5), callbacks: callback });
    expect(saved).toEqual([5, 5]);
  });

  it('never saves a diverged state: divergence is decided before the periodic checkpoint', () => {
    const { saved, callback } = saving(2);
    const r = run(counter(6), countState(), { stop: maxIterations(100), callbacks: callback });
    expect([r.reason, r.iterations]).toEqual(['diverged', 6]);
    expect(saved).toEqual([2, 4]);
  });

  it('validates its arguments', () => {
    expect(() => checkpointEvery(0, () => {})).toThrow(/every/);
    expect(() => checkpointEvery(1.5, () => {})).toThrow(/every/);
    expect(() => checkpointEvery(2, 'save' as never)).toThrow(/save/);
  });
});
