// An optimizer as data: optimizerFromSpec builds the optimizer its spec describes — the same
// method, the same resolved options and the same trajectory (bit for bit) as the optimizer
// built directly with the options the spec stands for.
import { describe, expect, it } from 'vitest';
import {
  adaptivePiggyback, gradientDescent, iadam, isgd, maid, optimizerFromSpec,
  type Optimizer, type OptimizerSpec, type OptimizerState, type Projection,
} from '@bilevel/optimizers';
import { QuadraticBilevel, RidgeLearning } from './problems.js';

const quadratic = new QuadraticBilevel({ seed: 2 });
const ridge = new RidgeLearning({ d: 6, N: 24, seed: 1 });
/** A projection that leaves a mark: θ₀ ≥ 0.29 (θ starts at 0.3 and θ₀ falls on the quadratic problem). */
const clip: Projection = (theta) => {
  theta[0] = Math.max(theta[0]!, 0.29);
};

function trajectory(opt: Optimizer<OptimizerState>, oracle: QuadraticBilevel | RidgeLearning, steps: number): { theta: number[][]; losses: number[] } {
  const state = opt.init(new Float64Array(oracle.dimension).fill(0.3));
  const theta: number[][] = [];
  const losses: number[] = [];
  for (let k = 0; k < steps; k++) {
    losses.push(opt.step(oracle, state).loss);
    theta.push([...state.theta]);
  }
  return { theta, losses };
}

const cases: { spec: OptimizerSpec; direct: () => Optimizer<OptimizerState>; oracle: QuadraticBilevel | RidgeLearning; project?: Projection[] }[] = [
  { spec: { kind: 'maid', epsilon0: 0.1, delta0: 0.1, stepSize0: 0.01 }, direct: () => maid({ epsilon0: 0.1, delta0: 0.1, stepSize0: 0.01, project: [clip] }) as Optimizer<OptimizerState>, oracle: quadratic, project: [clip] },
  { spec: { kind: 'adaptive-piggyback', rho: 0.5 }, direct: () => adaptivePiggyback({ rho: 0.5 }) as Optimizer<OptimizerState>, oracle: quadratic },
  { spec: { kind: 'gd', stepSize: 0.05, epsilon: 1e-3 }, direct: () => gradientDescent({ stepSize: 0.05, epsilon: 1e-3 }) as Optimizer<OptimizerState>, oracle: quadratic },
  {
    spec: { kind: 'sgd', batchSize: 4, stepSize0: 0.2, epsilon0: 0.5, accuracySchedule: { kind: 'poly', exponent: 1 }, deltaRatio: 0.5 },
    direct: () => isgd({ batchSize: 4, stepSize0: 0.2, epsilon0: 0.5, accuracySchedule: { kind: 'poly', exponent: 1 }, delta: { kind: 'proportional', ratio: 0.5 }, seed: 11 }) as Optimizer<OptimizerState>,
    oracle: ridge,
  },
  {
    spec: { kind: 'adam', batchSize: 3, stepSize0: 0.05, beta1: 0.8 },
    direct: () => iadam({ batchSize: 3, stepSize0: 0.05, epsilon0: 0.1, delta: { kind: 'proportional', ratio: 1 }, beta1: 0.8, seed: 11 }) as Optimizer<OptimizerState>,
    oracle: ridge,
  },
];

describe('optimizerFromSpec', () => {
  for (const c of cases) {
    it(`${c.spec.kind}: the optimizer its options describe, the same trajectory bit for bit`, () => {
      const fromSpec = optimizerFromSpec(c.spec, { seed: 11, ...(c.project ? { project: c.project } : {}) });
      const direct = c.direct();
      expect(fromSpec.method).toBe(direct.method);
      expect(JSON.stringify(fromSpec.options)).toBe(JSON.stringify(direct.options));
      expect(trajectory(fromSpec, c.oracle, 5)).toEqual(trajectory(direct, c.oracle, 5));
    });
  }

  it('the projections reach the optimizer (the clip is active on this problem)', () => {
    const spec: OptimizerSpec = { kind: 'maid', epsilon0: 0.1, delta0: 0.1, stepSize0: 0.01 };
    const clipped = trajectory(optimizerFromSpec(spec, { seed: 0, project: [clip] }), quadratic, 5);
    expect(clipped.theta).not.toEqual(trajectory(optimizerFromSpec(spec, { seed: 0 }), quadratic, 5).theta);
    expect(clipped.theta.every((t) => t[0]! >= 0.29)).toBe(true);
  });

  it('the seed reaches the minibatches: another seed, another trajectory', () => {
    const spec: OptimizerSpec = { kind: 'sgd', batchSize: 4, stepSize0: 0.2 };
    const a = trajectory(optimizerFromSpec(spec, { seed: 1 }), ridge, 3);
    const b = trajectory(optimizerFromSpec(spec, { seed: 2 }), ridge, 3);
    expect(a.theta).not.toEqual(b.theta);
  });

  it('a wrong option is named by the optimizer it goes to', () => {
    expect(() => optimizerFromSpec({ kind: 'maid', rho: 2 }, { seed: 0 })).toThrow(/rho/);
    expect(() => optimizerFromSpec({ kind: 'adam', batchSize: 0, stepSize0: 0.1 }, { seed: 0 })).toThrow(/batchSize/);
  });
});
