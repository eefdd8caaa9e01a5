import { describe, expect, it } from 'vitest';
import { ValidationError, maxTotalIterations, untilIteration } from '@bilevel/core';
import {
  adaptivePiggyback, gradTolerance, gradientDescent, iadam, isgd, maid, optimizerCheckpoints, type IsgdOptions, type MaidOptions,
} from '@bilevel/optimizers';
import { QuadraticBilevel } from './problems.js';

function rejects(f: () => unknown, option: string) {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ValidationError);
  const e = err as ValidationError;
  expect(e.issues.some((i) => i.startsWith(`${option}:`)), `issues: ${e.issues.join(' | ')}`).toBe(true);
  expect(e.message).toContain(option);
}

describe('MAID options', () => {
  it('defaults are the authors’ (docs/math/maid.md#defaults)', () => {
    expect(maid().options).toMatchObject({
      epsilon0: 0.1, delta0: 0.1, stepSize0: 0.01, eta: 1e-4, lambda: 1e-8, rho: 0.5, rhoBar: 10 / 9, nu: 0.5, nuBar: 1.05,
      maxBacktracks: 10, maxRetries: 3, fixedAccuracy: false, trialAccuracy: 'current', gradTol: 0,
    });
    expect(maid({ eta: 0.5 }).options.lambda).toBe(0.25);
  });

  const bad: [MaidOptions, string][] = [
    [{ stepSize0: -0.1 }, 'stepSize0'],
    [{ stepSize0: 0 }, 'stepSize0'],
    [{ epsilon0: -1 }, 'epsilon0'],
    [{ delta0: 0 }, 'delta0'],
    [{ eta: 0 }, 'eta'],
    [{ eta: 1 }, 'eta'],
    [{ eta: 1.5 }, 'eta'],
    [{ lambda: 1e-4 }, 'lambda'], // λ = η
    [{ eta: 0.1, lambda: 0.2 }, 'lambda'],
    [{ lambda: -1 }, 'lambda'],
    [{ rho: 1 }, 'rho'],
    [{ rho: 1.2 }, 'rho'],
    [{ nu: 1 }, 'nu'],
    [{ nu: 0 }, 'nu'],
    [{ rhoBar: 1 }, 'rhoBar'],
    [{ rhoBar: 0.9 }, 'rhoBar'],
    [{ nuBar: 1 }, 'nuBar'],
    [{ maxBacktracks: 0 }, 'maxBacktracks'],
    [{ maxBacktracks: 2.5 }, 'maxBacktracks'],
    [{ maxRetries: 0 }, 'maxRetries'],
    [{ minEpsilon: 1 }, 'minEpsilon'],
    [{ gradTol: -1 }, 'gradTol'],
    [{ lowerBound: 'convex' } as unknown as MaidOptions, '(root)'],
    [{ trialAccuracy: 'later' as 'current' }, 'trialAccuracy'],
    [{ project: 3 as unknown as () => void }, 'project'],
    [{ stepsize0: 0.1 } as unknown as MaidOptions, '(root)'],
  ];
  for (const [o, name] of bad) {
    it(`rejects ${JSON.stringify(o)} naming ${name}`, () => rejects(() => maid(o), name));
  }
  it('adaptivePiggyback validates the same way', () => {
    rejects(() => adaptivePiggyback({ rho: 1 }), 'rho');
    rejects(() => adaptivePiggyback({ lossSmoothness: 1 } as unknown as MaidOptions), '(root)');
  });
});

describe('ISGD / Adam / GD options', () => {
  const ok: IsgdOptions = { stepSize0: 0.1, epsilon0: 1, batchSize: 4 };
  const bad: [Partial<IsgdOptions> & Record<string, unknown>, string][] = [
    [{ stepSize0: -1 }, 'stepSize0'],
    [{ epsilon0: 0 }, 'epsilon0'],
    [{ batchSize: 0 }, 'batchSize'],
    [{ batchSize: 1.5 }, 'batchSize'],
    [{ stepSchedule: { kind: 'poly', exponent: -1 } }, 'stepSchedule.exponent'],
    [{ accuracySchedule: { kind: 'log', exponent: 1, offset: 1 } }, 'accuracySchedule.offset'],
    [{ stepSchedule: { kind: 'cosine' } as never }, 'stepSchedule.kind'],
    [{ delta: { kind: 'proportional', ratio: 0 } }, 'delta.ratio'],
    [{ beta1: 1 }, 'beta1'],
    [{ beta2: -0.1 }, 'beta2'],
    [{ adamEpsilon: 0 }, 'adamEpsilon'],
    [{ seed: 0.5 }, 'seed'],
  ];
  for (const [o, name] of bad) {
    it(`rejects ${JSON.stringify(o)} naming ${name}`, () => rejects(() => isgd({ ...ok, ...o } as IsgdOptions), name));
  }
  it('requires the problem-scaled options, naming them', () => {
    rejects(() => isgd({ epsilon0: 1, batchSize: 4 } as IsgdOptions), 'stepSize0');
    rejects(() => iadam({ stepSize0: 1, batchSize: 4 } as IsgdOptions), 'epsilon0');
    rejects(() => gradientDescent({} as { stepSize: number }), 'stepSize');
    rejects(() => gradientDescent({ stepSize: -1 }), 'stepSize');
    rejects(() => gradientDescent({ stepSize: 1, epsilon: 0 }), 'epsilon');
  });
  it('defaults: constant schedules, δ = ε, drop last, PyTorch Adam constants', () => {
    expect(isgd(ok).options).toMatchObject({
      update: 'sgd', stepSchedule: { kind: 'constant' }, accuracySchedule: { kind: 'constant' },
      delta: { kind: 'proportional', ratio: 1 }, dropLast: true, seed: 0, beta1: 0.9, beta2: 0.999, adamEpsilon: 1e-8,
    });
    expect(iadam(ok).method).toBe('iadam');
    expect(isgd({ ...ok, update: 'adam' }).method).toBe('iadam');
  });
});

describe('run options', () => {
  it('rejects invalid budgets and checkpoint policies, naming them', () => {
    const opt = maid();
    rejects(() => optimizerCheckpoints(opt, 0, () => {}), 'every');
    expect(() => untilIteration(-1)).toThrow(/untilIteration/);
    expect(() => maxTotalIterations(-1)).toThrow(/maxTotalIterations/);
    expect(() => gradTolerance(-1)).toThrow(/gradTolerance/);
  });
  it('rejects θ₀ of the wrong length or with NaN', () => {
    const q = new QuadraticBilevel();
    const opt = maid();
    expect(() => opt.init(new Float64Array([NaN]))).toThrow(/theta0/);
    expect(() => opt.step(q, opt.init(new Float64Array(3)))).toThrow(/dimension/);
  });
});
