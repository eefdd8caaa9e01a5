import { describe, expect, it } from 'vitest';
import { addCost, maxTotalIterations, run, totalIterations, untilIteration, zeroCost, type HypergradientOracle, type LossEstimate } from '@bilevel/core';
import {
  adaptivePiggyback, boxProjection, gradTolerance, gradientDescent, maid, optimizerCheckpoints, optimizerMachine, restoreOptimizer,
  type Checkpoint, type MaidState, type StepRecord,
} from '@bilevel/optimizers';
import { QuadraticBilevel, SpyOracle, norm } from './problems.js';

const problem = new QuadraticBilevel();
const zeros = () => new Float64Array(problem.dimension);

/** Run MAID and collect (record, exact f after the step). */
function trace(opt: ReturnType<typeof maid>, oracle: HypergradientOracle, maxIterations: number, theta0 = zeros()) {
  const state = opt.init(theta0);
  const f: number[] = [problem.exactLoss(state.theta)];
  const records: StepRecord[] = [];
  const res = run(optimizerMachine(opt, oracle), state, {
    stop: untilIteration(maxIterations),
    callbacks: { onStep: ({ record: r }) => {
      records.push(r);
      f.push(problem.exactLoss(state.theta));
    } },
  });
  return { state, f, records, res };
}

describe('test oracle (quadratic bilevel) is honest', () => {
  it('bound ≥ true hypergradient error and the loss bracket contains the exact loss', () => {
    const theta = new Float64Array([0.3, -0.2, 0.5, 1, -1]);
    const batch = [0, 1, 2, 3];
    for (const tol of [1, 1e-1, 1e-2, 1e-4, 1e-6]) {
      const est = problem.evaluate(theta, batch, { epsilon: tol, delta: tol });
      const g = problem.exactGradient(theta);
      const err = norm(est.gradient.map((v, j) => v - g[j]!));
      expect(err).toBeLessThanOrEqual(est.bound);
      const f = problem.exactLoss(theta);
      expect(est.lossLower).toBeLessThanOrEqual(f);
      expect(est.lossUpper).toBeGreaterThanOrEqual(f);
      expect(est.epsilon).toBeLessThanOrEqual(tol);
    }
  });
});

describe('MAID on the quadratic bilevel problem', () => {
  const run = trace(maid(), problem, 200);

  it('reaches f − f* ≤ 1e-6 with the authors’ defaults', () => {
    expect(problem.excess(zeros())).toBeGreaterThan(10);
    expect(problem.excess(run.state.theta)).toBeLessThanOrEqual(1e-6);
    // and f − f* from the exact values agrees with the closed-form excess
    const fStar = problem.exactLoss(problem.thetaStar);
    expect(run.f.at(-1)! - fStar).toBeLessThanOrEqual(1e-6);
  });

  it('decreases the exact f monotonically, by ≥ λα‖z‖² on every accepted step', () => {
    const lambda = maid().options.lambda;
    expect(lambda).toBe(1e-8);
    let accepted = 0;
    run.records.forEach((r, i) => {
      const before = run.f[i]!;
      const after = run.f[i + 1]!;
      const slack = 1e-13 * Math.abs(before); // rounding of the exact f evaluation
      if (r.accepted) {
        accepted++;
        expect(after - before).toBeLessThanOrEqual(-lambda * r.stepSize * r.gradNorm ** 2 + slack);
      } else {
        expect(after).toBe(before);
      }
    });
    expect(accepted).toBeGreaterThan(20);
  });

  it('adapts ε: tighter near the solution, and logs every field', () => {
    const first = run.records[0]!;
    expect(first.epsilon).toBe(0.1);
    expect(first.delta).toBe(0.1);
    const late = run.records.find((r) => r.gradNorm < 1e-3)!;
    expect(late.epsilon).toBeLessThan(1e-4);
    for (const r of run.records) {
      expect(r.method).toBe('maid');
      expect(r.certifiedEpsilon).toBeLessThanOrEqual(r.epsilon);
      if (r.descentCertified) expect(r.bound).toBeLessThanOrEqual((1 - 1e-4) * r.gradNorm);
      expect(r.totalIterations).toBe(totalIterations(r.cost));
    }
    // cumulative cost is non-decreasing
    for (let i = 1; i < run.records.length; i++) expect(run.records[i]!.totalIterations).toBeGreaterThanOrEqual(run.records[i - 1]!.totalIterations);
  });

  it('stops at the accuracy floor with reason breakdown instead of shrinking ε forever', () => {
    const r = trace(maid({ minEpsilon: 1e-10, minDelta: 1e-10 }), problem, 400);
    expect(['breakdown', 'max-iterations']).toContain(r.res.reason);
    for (const rec of r.records) expect(rec.epsilon).toBeGreaterThanOrEqual(1e-10);
    if (r.res.reason === 'breakdown') expect(r.records.at(-1)!.stalled).toBe(true);
  });

  it('stops on the gradient-norm tolerance', () => {
    const r = trace(maid({ gradTol: 1e-3 }), problem, 500);
    expect(r.res.reason).toBe('converged');
    const last = r.records.at(-1)!;
    expect(last.converged).toBe(true);
    expect(last.accepted).toBe(false);
    expect(last.gradNorm).toBeLessThanOrEqual(1e-3);
  });
});

describe('GD with a poorly chosen fixed step vs MAID', () => {
  it('GD with α = 2.5/L_f diverges; MAID started from the same α₀ converges', () => {
    const alpha = 2.5 / problem.Lf;
    const gd = gradientDescent({ stepSize: alpha, epsilon: 1e-6 });
    const s = gd.init(zeros());
    const f0 = problem.exactLoss(s.theta);
    const res = run(optimizerMachine(gd, problem), s, { stop: untilIteration(60) });
    const fEnd = res.reason === 'diverged' ? Infinity : problem.exactLoss(s.theta);
    expect(fEnd).toBeGreaterThan(1e6 * f0);

    const m = trace(maid({ stepSize0: alpha }), problem, 200);
    expect(problem.excess(m.state.theta)).toBeLessThanOrEqual(1e-6);
    for (let i = 1; i < m.f.length; i++) expect(m.f[i]!).toBeLessThanOrEqual(m.f[i - 1]! * (1 + 1e-13));
  });

  it('GD with a tiny step stalls where MAID (same α₀) does not', () => {
    const alpha = 1e-3 / problem.Lf;
    const gd = gradientDescent({ stepSize: alpha, epsilon: 1e-6 });
    const s = gd.init(zeros());
    run(optimizerMachine(gd, problem), s, { stop: untilIteration(200) });
    expect(problem.excess(s.theta)).toBeGreaterThan(1);
    const m = trace(maid({ stepSize0: alpha }), problem, 200);
    expect(problem.excess(m.state.theta)).toBeLessThanOrEqual(1e-6);
  });

  it('GD on the honest oracle uses fixed tolerances and one evaluation per step', () => {
    const spy = new SpyOracle(problem);
    const gd = gradientDescent({ stepSize: 0.5 / problem.Lf, epsilon: 1e-3, delta: 1e-4 });
    const s = gd.init(zeros());
    const recs: StepRecord[] = [];
    run(optimizerMachine(gd, spy), s, { stop: untilIteration(5), callbacks: { onStep: ({ record: r }) => void recs.push(r) } });
    expect(spy.calls.map((c) => c.kind)).toEqual(Array(5).fill('evaluate'));
    expect(recs.every((r) => r.epsilon === 1e-3 && r.delta === 1e-4 && r.accepted)).toBe(true);
    expect(problem.exactLoss(s.theta)).toBeLessThan(problem.exactLoss(zeros()));
  });
});

describe('MAID mechanics', () => {
  it('every trial warm-starts from the accepted state; rejected trials never leak into it', () => {
    const spy = new SpyOracle(problem);
    const opt = maid({ stepSize0: 2.5 / problem.Lf });
    const state = opt.init(zeros());
    let rejectedOut = 0;
    for (let k = 0; k < 25; k++) {
      const start = spy.calls.length;
      const rec = opt.step(spy, state);
      const calls = spy.calls.slice(start);
      let lastEval: (typeof calls)[number] | undefined;
      const rejected = new Set<Float64Array>();
      for (const c of calls) {
        if (c.kind === 'evaluate') {
          lastEval = c;
          continue;
        }
        // the trial is warm-started from the latest hypergradient solve at θ_k
        for (const i of [0, 1, 2, 3]) expect(c.warmIn!.get(i)).toBe(lastEval!.warmOut.get(i));
        const acceptedTrial = rec.accepted && c === calls.at(-1);
        if (!acceptedTrial) for (const w of c.warmOut.values()) rejected.add(w['x']!);
      }
      rejectedOut += rejected.size;
      // the state's warm starts: the accepted trial's (or the last evaluation's)
      for (const i of [0, 1, 2, 3]) {
        const x = state.warm.get(i)!['x']!;
        expect(rejected.has(x)).toBe(false);
        if (rec.accepted) expect(x).toBe(calls.at(-1)!.warmOut.get(i)!['x']);
      }
      // re-evaluations after refinement are warm-started from the previous solve
      const evals = calls.filter((c) => c.kind === 'evaluate');
      for (let e = 1; e < evals.length; e++) expect(evals[e]!.warmIn!.get(0)!['x']).toBe(evals[e - 1]!.warmOut.get(0)!['x']);
    }
    expect(rejectedOut).toBeGreaterThan(0); // the large initial step forces rejections
  });

  it('retry rounds: maxBT + j trials in round j, ε, δ ← νε, νδ after each failed round, θ unchanged', () => {
    // An oracle whose trial points are never certified (lossUpper = +∞): every round fails.
    const never: HypergradientOracle = {
      dimension: problem.dimension,
      numSamples: problem.numSamples,
      evaluate: (t, b, tol, w) => problem.evaluate(t, b, tol, w),
      loss: (t, b, e, w): LossEstimate => ({ ...problem.loss(t, b, e, w), lossUpper: Infinity }),
    };
    const spy = new SpyOracle(never);
    const opt = maid({ eta: 0.5, lambda: 0.1 }); // loose descent test: no refinements at ε₀
    const s = opt.init(new Float64Array([1, 1, 1, 1, 1]));
    const rec = opt.step(spy, s);
    const kinds = spy.calls.map((c) => c.kind);
    const rounds: number[] = [];
    for (const k of kinds) {
      if (k === 'evaluate') rounds.push(0);
      else rounds[rounds.length - 1]!++;
    }
    expect(rec.refinements).toBe(0);
    expect(rounds).toEqual([10, 11, 12]);
    expect(rec.backtracks).toBe(33);
    expect(rec.retries).toBe(3);
    expect(rec.accepted).toBe(false);
    expect(Array.from(s.theta)).toEqual([1, 1, 1, 1, 1]);
    expect(s.epsilon).toBeCloseTo(0.1 * 0.5 ** 3, 15);
    expect(s.delta).toBeCloseTo(0.1 * 0.5 ** 3, 15);
    expect(s.stepSize).toBe(0.01); // α_k is not shrunk by a failed iteration
    expect(rec.stepSize).toBeCloseTo(0.01 * 0.5 ** 11, 15); // last α tried
  });

  it('after success: α ← ρ̄α, ε, δ ← ν̄ε, ν̄δ', () => {
    const opt = maid();
    const s = opt.init(zeros());
    const rec = opt.step(problem, s);
    expect(rec.accepted).toBe(true);
    expect(s.stepSize).toBeCloseTo((10 / 9) * rec.stepSize, 15);
    expect(s.epsilon).toBeCloseTo(1.05 * rec.epsilon, 15);
    expect(s.delta).toBeCloseTo(1.05 * rec.delta, 15);
  });

  it('fixedAccuracy baseline: no descent test, constant tolerances, stalls above the target', () => {
    const spy = new SpyOracle(problem);
    const r = trace(maid({ fixedAccuracy: true, epsilon0: 0.1, delta0: 0.1 }), spy, 200);
    expect(r.records.every((x) => x.epsilon === 0.1 && x.delta === 0.1 && x.refinements === 0 && x.retries <= 1)).toBe(true);
    const accepted = r.records.filter((x) => x.accepted).length;
    expect(accepted).toBeGreaterThan(0);
    // at a fixed accuracy 0.1 the certified bracket is too wide to reach the target
    expect(problem.excess(r.state.theta)).toBeGreaterThan(1e-6);
    expect(r.res.reason).toBe('breakdown');
    // still a certified descent
    for (let i = 1; i < r.f.length; i++) expect(r.f[i]!).toBeLessThanOrEqual(r.f[i - 1]! * (1 + 1e-13));
  });

  it('cost accounting counts every oracle call, including rejected trials, and is reproducible', () => {
    const spy = new SpyOracle(problem);
    const opt = maid({ stepSize0: 2.5 / problem.Lf });
    const s = opt.init(zeros());
    const recs: StepRecord[] = [];
    const costs = zeroCost();
    const inner = problem;
    const counting: HypergradientOracle = {
      dimension: inner.dimension,
      numSamples: inner.numSamples,
      loss: (...a) => {
        const r = spy.loss(...a);
        addCost(costs, r.cost);
        return r;
      },
      evaluate: (...a) => {
        const r = spy.evaluate(...a);
        addCost(costs, r.cost);
        return r;
      },
    };
    run(optimizerMachine(opt, counting), s, { stop: untilIteration(30), callbacks: { onStep: ({ record: r }) => void recs.push(r) } });
    expect(s.cost).toEqual(costs);
    expect(recs.at(-1)!.totalIterations).toBe(totalIterations(costs));
    const again = opt.init(zeros());
    run(optimizerMachine(opt, problem), again, { stop: untilIteration(30) });
    expect(again.cost).toEqual(s.cost);
  });

  it('budget.gradTol stops after the step that reaches it', () => {
    const opt = maid();
    const s = opt.init(zeros());
    const recs: StepRecord[] = [];
    const res = run(optimizerMachine(opt, problem), s, { stop: gradTolerance(1e-2), callbacks: { onStep: ({ record: r }) => void recs.push(r) } });
    expect(res.reason).toBe('converged');
    expect(recs.at(-1)!.gradNorm).toBeLessThanOrEqual(1e-2);
    expect(recs.slice(0, -1).every((r) => r.gradNorm > 1e-2)).toBe(true);
  });

  it("trialAccuracy 'grown' solves trials at ν̄ε_k and still descends with certificates", () => {
    const eps: { kind: string; e: number }[] = [];
    const wrapped: HypergradientOracle = {
      dimension: problem.dimension,
      numSamples: problem.numSamples,
      loss: (t, b, e, w) => {
        eps.push({ kind: 'loss', e });
        return problem.loss(t, b, e, w);
      },
      evaluate: (t, b, tol, w) => {
        eps.push({ kind: 'evaluate', e: tol.epsilon });
        return problem.evaluate(t, b, tol, w);
      },
    };
    const r = trace(maid({ trialAccuracy: 'grown' }), wrapped, 150);
    for (let i = 1; i < eps.length; i++) {
      if (eps[i]!.kind === 'loss') {
        let j = i - 1;
        while (eps[j]!.kind !== 'evaluate') j--;
        expect(eps[i]!.e).toBeCloseTo(1.05 * eps[j]!.e, 14);
      }
    }
    r.records.forEach((rec, i) => {
      if (rec.accepted) expect(r.f[i + 1]! - r.f[i]!).toBeLessThanOrEqual(-1e-8 * rec.stepSize * rec.gradNorm ** 2 + 1e-13 * r.f[i]!);
    });
    expect(problem.excess(r.state.theta)).toBeLessThanOrEqual(1e-6);
  });

  it('stops on a total lower-level iteration budget', () => {
    const opt = maid();
    const s = opt.init(zeros());
    const res = run(optimizerMachine(opt, problem), s, { stop: maxTotalIterations(2000) });
    expect(res.reason).toBe('budget');
    expect(totalIterations(s.cost)).toBeGreaterThanOrEqual(2000);
    // the check is between steps: the step before the last was under budget
    expect(res.iterations).toBeGreaterThan(1);
  });

  it('projects trial points; accepted iterates stay feasible and still decrease the exact f', () => {
    const lo = -0.5;
    const hi = 0.5;
    const opt = maid({ project: boxProjection(lo, hi) });
    const r = trace(opt, problem, 100);
    for (const v of r.state.theta) {
      expect(v).toBeGreaterThanOrEqual(lo);
      expect(v).toBeLessThanOrEqual(hi);
    }
    for (let i = 1; i < r.f.length; i++) expect(r.f[i]!).toBeLessThanOrEqual(r.f[i - 1]! * (1 + 1e-13));
    expect(r.f.at(-1)!).toBeLessThan(r.f[0]!);
  });
});

describe('adaptivePiggyback (MAID-based reconstruction of arXiv 2412.06436)', () => {
  it('has the note’s defaults and no lower-bound options (the oracle’s bracket is the one source)', () => {
    const o = adaptivePiggyback().options;
    expect(o).toMatchObject({
      epsilon0: 0.1, delta0: 0.1, stepSize0: 0.1, eta: 1e-4, lambda: 1e-8, rho: 0.9, rhoBar: 10 / 9, nu: 0.5, nuBar: 1.05,
      maxBacktracks: 10, maxRetries: 3,
    });
    expect(() => adaptivePiggyback({ lossSmoothness: 1 } as never)).toThrow(/lossSmoothness/);
  });

  it('converges with certified descent on the quadratic problem (convex ℓ, L_ℓ = 1)', () => {
    const opt = adaptivePiggyback();
    const state = opt.init(zeros());
    const f: number[] = [problem.exactLoss(state.theta)];
    const recs: StepRecord[] = [];
    run(optimizerMachine(opt, problem), state as MaidState, {
      stop: untilIteration(300),
      callbacks: { onStep: ({ record: r }) => {
        recs.push(r);
        f.push(problem.exactLoss(state.theta));
      } },
    });
    expect(problem.excess(state.theta)).toBeLessThanOrEqual(1e-6);
    recs.forEach((r, i) => {
      expect(r.method).toBe('adaptive-piggyback');
      if (r.accepted) expect(f[i + 1]! - f[i]!).toBeLessThanOrEqual(-1e-8 * r.stepSize * r.gradNorm ** 2 + 1e-13 * f[i]!);
      // convex form: U↓ = lossLower + L ε²/2 ≥ the oracle's lossLower, still ≤ the exact f
      if (r.acceptLower !== undefined) {
        expect(r.acceptLower).toBeGreaterThanOrEqual(r.lossLower);
        expect(r.acceptLower).toBeLessThanOrEqual(f[i]! * (1 + 1e-13));
      }
    });
  });
});

describe('run never checkpoints a diverged state', () => {
  it('a diverging GD run with a checkpoint every step keeps the last finite θ', () => {
    const gd = gradientDescent({ stepSize: 1e3 / problem.Lf, epsilon: 1e-6 });
    const s = gd.init(zeros());
    const saved: Checkpoint[] = [];
    const res = run(optimizerMachine(gd, problem), s, { stop: untilIteration(500), callbacks: optimizerCheckpoints(gd, 1, (c) => void saved.push(c)) });
    expect(res.reason).toBe('diverged');
    expect(saved.length).toBeGreaterThan(0);
    const last = restoreOptimizer(saved.at(-1)!).state;
    expect(last.iteration).toBe(s.iteration - 1);
    expect(last.theta.every((t) => Number.isFinite(t))).toBe(true);
  });
});
