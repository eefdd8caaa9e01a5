import { describe, expect, it } from 'vitest';
import { run, untilIteration } from '@bilevel/core';
import { iadam, isgd, optimizerMachine, type IsgdOptions, type StepRecord } from '@bilevel/optimizers';
import { QuadraticBilevel, RidgeLearning, SpyOracle, norm } from './problems.js';

const ridge = new RidgeLearning(); // ridge-weight learning: d = 20, N = 200
const theta0 = () => new Float64Array(ridge.dimension);
const gradNorm = (theta: Float64Array) => norm(ridge.exact(theta).gradient);

function runFor(opt: ReturnType<typeof isgd>, iterations: number, checkpoints: number[] = []) {
  const s = opt.init(theta0());
  const at: Record<number, number> = {};
  const recs: StepRecord[] = [];
  run(optimizerMachine(opt, ridge), s, {
    stop: untilIteration(iterations),
    callbacks: { onStep: ({ record: r }) => {
      recs.push(r);
      if (checkpoints.includes(r.iteration + 1)) at[r.iteration + 1] = gradNorm(s.theta);
    } },
  });
  return { s, at, recs };
}

const decreasing: IsgdOptions = {
  stepSize0: 0.5, stepSchedule: { kind: 'poly', exponent: 0.5 },
  epsilon0: 1, accuracySchedule: { kind: 'poly', exponent: 1 },
  batchSize: 10, seed: 3,
};

describe('test oracle (ridge-weight learning) is honest', () => {
  it('bound ≥ true error and the bracket holds on a batch', () => {
    const theta = new Float64Array(ridge.dimension).map((_, j) => Math.sin(j) - 0.5);
    const batch = [3, 17, 42, 199];
    const ex = ridge.exact(theta, batch);
    for (const tol of [1, 1e-2, 1e-5]) {
      const est = ridge.evaluate(theta, batch, { epsilon: tol, delta: tol });
      expect(norm(est.gradient.map((v, j) => v - ex.gradient[j]!))).toBeLessThanOrEqual(est.bound);
      expect(est.lossLower).toBeLessThanOrEqual(ex.loss);
      expect(est.lossUpper).toBeGreaterThanOrEqual(ex.loss);
    }
  });
});

describe('ISGD on ridge-weight learning', () => {
  it('converges with α_k = 0.5(k+1)^−1/2, ε_k = (k+1)^−1 (δ_k = ε_k)', () => {
    const g0 = gradNorm(theta0());
    const { at, recs } = runFor(isgd(decreasing), 1000, [100, 1000]);
    expect(g0).toBeGreaterThan(0.9);
    expect(at[100]!).toBeLessThan(0.35);
    expect(at[1000]!).toBeLessThan(0.1);
    expect(at[1000]!).toBeLessThan(at[100]!);
    // the schedules as logged
    expect(recs[0]!.stepSize).toBe(0.5);
    expect(recs[3]!.stepSize).toBeCloseTo(0.5 / 2, 15);
    expect(recs[9]!.epsilon).toBeCloseTo(0.1, 15);
    expect(recs.every((r) => r.delta === r.epsilon && r.batchSize === 10 && r.accepted)).toBe(true);
  });

  it('Adam on inexact hypergradients converges too', () => {
    const { at, recs } = runFor(iadam({ ...decreasing, stepSize0: 0.05, stepSchedule: { kind: 'constant' } }), 1000, [1000]);
    expect(at[1000]!).toBeLessThan(0.02);
    expect(recs[0]!.method).toBe('iadam');
  });

  it('a constant δ rule keeps δ fixed while ε follows its schedule', () => {
    const { recs } = runFor(isgd({ ...decreasing, delta: { kind: 'constant', value: 0.1 } }), 5);
    expect(recs.map((r) => r.delta)).toEqual([0.1, 0.1, 0.1, 0.1, 0.1]);
    expect(recs[4]!.epsilon).toBeCloseTo(0.2, 15);
  });
});

describe('decreasing vs too-large constant steps (sum-of-functions quadratic)', () => {
  // f(θ) = (1/N) Σ_i ½‖x̂_i(θ) − t_i‖², minibatches of one sample; ∇²f = MᵀM for every sample.
  const q = new QuadraticBilevel({ N: 8, seed: 11 });
  const alpha0 = 3 / q.Lf; // above the stability limit 2/L_f
  const common = { stepSize0: alpha0, epsilon0: 1e-4, batchSize: 1, seed: 1 };

  it('a constant α₀ > 2/L_f blows up; α_k = α₀(k+1)^−1/2 from the same α₀ is stable and converges', () => {
    const th0 = new Float64Array(q.dimension);
    const e0 = q.excess(th0);

    const c = isgd(common);
    const sc = c.init(th0);
    const rc = run(optimizerMachine(c, q), sc, { stop: untilIteration(150) });
    const excessConst = rc.reason === 'diverged' ? Infinity : q.excess(sc.theta);
    expect(excessConst).toBeGreaterThan(1e6 * e0);

    const d = isgd({ ...common, stepSchedule: { kind: 'poly', exponent: 0.5 } });
    const sd = d.init(th0);
    const excess: number[] = [];
    const rd = run(optimizerMachine(d, q), sd, { stop: untilIteration(400), callbacks: { onStep: () => void excess.push(q.excess(sd.theta)) } });
    expect(rd.reason).toBe('max-iterations');
    expect(Math.max(...excess)).toBeLessThan(10 * e0); // bounded transient
    expect(excess.at(-1)!).toBeLessThan(1e-2 * e0);
  });
});

describe('minibatch sampling and per-sample warm starts', () => {
  it('samples without replacement per epoch, reshuffles each epoch, deterministic by seed', () => {
    const spy = new SpyOracle(ridge);
    const opt = isgd({ ...decreasing, batchSize: 30 }); // 200 = 6·30 + 20: the last 20 are dropped
    const s = opt.init(theta0());
    const recs: StepRecord[] = [];
    run(optimizerMachine(opt, spy), s, { stop: untilIteration(18), callbacks: { onStep: ({ record: r }) => void recs.push(r) } });
    expect(recs.map((r) => r.epoch)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2]);
    const batches = spy.evaluatedBatches();
    const epochs = [batches.slice(0, 6).flat(), batches.slice(6, 12).flat(), batches.slice(12, 18).flat()];
    for (const e of epochs) expect(new Set(e).size).toBe(180);
    expect(epochs[0]).not.toEqual(epochs[1]);
    // same seed, same batches; other seed, other batches
    const spy2 = new SpyOracle(ridge);
    const o2 = isgd({ ...decreasing, batchSize: 30 });
    run(optimizerMachine(o2, spy2), o2.init(theta0()), { stop: untilIteration(18) });
    expect(spy2.evaluatedBatches()).toEqual(batches);
    const o3 = isgd({ ...decreasing, batchSize: 30, seed: 4 });
    const spy3 = new SpyOracle(ridge);
    run(optimizerMachine(o3, spy3), o3.init(theta0()), { stop: untilIteration(1) });
    expect(spy3.evaluatedBatches()[0]).not.toEqual(batches[0]);
  });

  it('with dropLast: false the last batch of an epoch is smaller', () => {
    const opt = isgd({ ...decreasing, batchSize: 30, dropLast: false });
    const recs: StepRecord[] = [];
    run(optimizerMachine(opt, ridge), opt.init(theta0()), { stop: untilIteration(8), callbacks: { onStep: ({ record: r }) => void recs.push(r) } });
    expect(recs.map((r) => r.batchSize)).toEqual([30, 30, 30, 30, 30, 30, 20, 30]);
    expect(recs.map((r) => r.epoch)).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
  });

  it('keeps each sample’s warm start across iterations and epochs', () => {
    const spy = new SpyOracle(ridge);
    const opt = isgd({ ...decreasing, batchSize: 50 });
    const s = opt.init(theta0());
    run(optimizerMachine(opt, spy), s, { stop: untilIteration(12) });
    const last = new Map<number, Float64Array>();
    for (const c of spy.calls) {
      for (const i of c.warmOut.keys()) {
        const prev = last.get(i);
        if (prev) expect(c.warmIn!.get(i)!['x']).toBe(prev);
        else expect(c.warmIn!.get(i)).toBeUndefined();
      }
      for (const [i, w] of c.warmOut) last.set(i, w['x']!);
    }
    expect(s.warm.size).toBe(200);
    expect(spy.calls.length).toBe(12);
  });

  it('rejects a batch larger than the data set, naming batchSize', () => {
    const opt = isgd({ ...decreasing, batchSize: 500 });
    expect(() => opt.step(ridge, opt.init(theta0()))).toThrow(/batchSize/);
  });
});
