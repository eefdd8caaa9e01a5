import { describe, expect, it } from 'vitest';
import { zeroCost, type Certificate, type Cost, type Solver, type StopReason } from '@bilevel/core';
import { abortSignal, allOf, anyOf, budget, maxIterations, pdhgSteps, run, tolerance, wallTime } from '@bilevel/solvers';

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

  it('wallTime stops with time-limit', () => {
    const solver = new Toy(2);
    const r = run(solver, solver.init(1), { stop: anyOf(wallTime(20), maxIterations(10000)) });
    expect(r.reason).toBe('time-limit');
    expect(r.iterations).toBeGreaterThan(2);
    expect(r.iterations).toBeLessThan(1000);
  });

  it('abortSignal stops with aborted', () => {
    const ctl = new AbortController();
    const solver = new Toy();
    const r = run(solver, solver.init(1), {
      stop: anyOf(abortSignal(ctl.signal), maxIterations(1000)),
      onIteration: (st) => {
        if (st.iteration === 9) ctl.abort();
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

  it('onIteration sees every step, certificates every m, and can stop the run', () => {
    const solver = new Toy();
    const seen: (number | undefined)[] = [];
    const r = run(solver, solver.init(1), {
      stop: maxIterations(100),
      certificateEvery: 3,
      onIteration: (st, c) => {
        seen.push(c?.distance);
        return st.iteration === 7 ? 'aborted' : undefined;
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

describe('step options accept an explicit infinite cap', () => {
  it('nuMax: Infinity validates (zod numbers reject Infinity unless allowed)', () => {
    const s = pdhgSteps({ normK: 2, muG: 1, muFStar: 0.5 }, { nuMax: Infinity });
    expect(s.kind).toBe('linear');
    expect(() => pdhgSteps({ normK: 2, muG: 1, muFStar: 0.5 }, { nuMax: -1 })).toThrow(/nuMax/);
  });
});
