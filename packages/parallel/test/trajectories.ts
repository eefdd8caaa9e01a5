/**
 * A few upper-level iterations of MAID, the adaptive step and inexact Adam on an oracle, recorded
 * as the bits of every θ, the step records without wall-clock fields and the final checkpoint:
 * what must be identical for every engine and worker count.
 */
import type { HypergradientOracle } from '@bilevel/core';
import { adaptivePiggyback, iadam, maid, withoutWallTime, type Optimizer, type OptimizerState } from '@bilevel/optimizers';

/** The optimizers of the identity tests, each with a few iterations. */
export const OPTIMIZERS: Record<string, { make: () => Optimizer<OptimizerState>; steps: number }> = {
  maid: { make: () => maid({ stepSize0: 0.05, epsilon0: 1e-2, delta0: 1e-2 }) as Optimizer<OptimizerState>, steps: 3 },
  adaptive: { make: () => adaptivePiggyback({ epsilon0: 1e-2, delta0: 1e-2 }) as Optimizer<OptimizerState>, steps: 3 },
  iadam: { make: () => iadam({ stepSize0: 0.01, epsilon0: 1e-2, batchSize: 2, seed: 5 }) as Optimizer<OptimizerState>, steps: 4 },
};

const hex = (a: Float64Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('hex');

/** Run `steps` iterations of `optimizer` from θ₀ on `oracle`; θ bits per step, records and the checkpoint. */
export function trajectory(optimizer: Optimizer<OptimizerState>, oracle: HypergradientOracle, theta0: readonly number[], steps: number): { thetas: string[]; records: unknown[]; checkpoint: string } {
  const state = optimizer.init(Float64Array.from(theta0));
  const thetas: string[] = [];
  const records: unknown[] = [];
  for (let k = 0; k < steps; k++) {
    records.push(withoutWallTime(optimizer.step(oracle, state)));
    thetas.push(hex(state.theta));
  }
  const { elapsed: _e, ...rest } = JSON.parse(JSON.stringify(optimizer.checkpoint(state).state)) as Record<string, unknown>;
  return { thetas, records, checkpoint: JSON.stringify(rest) };
}
