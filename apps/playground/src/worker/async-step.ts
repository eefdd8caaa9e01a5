/**
 * Upper-level steps with an asynchronous oracle. The optimizers of `@bilevel/optimizers` are
 * synchronous state machines (`step(oracle, state)`), while a compute backend (gpu.js WebGL)
 * answers with promises. {@link AsyncStepper} replays: it runs the step from a lossless
 * checkpoint of the state against the answers gathered so far; at the first question without an
 * answer the replay stops, the question is answered asynchronously, and the step runs again.
 * The optimizers are deterministic functions of the oracle's answers, so the final replay is the
 * step the synchronous optimizer would take with these answers (the test checks that it matches
 * the direct step bit for bit with a synchronous oracle behind the promises).
 * @module
 */
import type { HypergradientEstimate, HypergradientOracle, LossEstimate, Tolerances, WarmState } from '@bilevel/core';
import type { PiggybackOracle } from '@bilevel/hypergrad';
import type { Optimizer, OptimizerState, StepRecord } from '@bilevel/optimizers';

/** One oracle question: a loss or a hypergradient at θ on a batch. */
export type OracleQuestion =
  | { readonly kind: 'loss'; readonly theta: Float64Array; readonly batch: readonly number[]; readonly epsilon: number; readonly warm?: WarmState }
  | { readonly kind: 'evaluate'; readonly theta: Float64Array; readonly batch: readonly number[]; readonly tol: Tolerances; readonly warm?: WarmState };

/** An oracle that answers with promises. */
export interface AsyncOracle {
  /** Number of parameters. */
  readonly dimension: number;
  /** Number of samples. */
  readonly numSamples: number;
  /** Answer one question. */
  answer(q: OracleQuestion): Promise<LossEstimate | HypergradientEstimate>;
}

/** Thrown inside a replay at the first question without an answer. */
class Unanswered {
  constructor(readonly question: OracleQuestion) {}
}

/** A synchronous oracle over recorded answers, in order; throws {@link Unanswered} past them. */
class ReplayOracle implements HypergradientOracle {
  private next = 0;
  constructor(
    readonly dimension: number,
    readonly numSamples: number,
    private readonly answers: readonly (LossEstimate | HypergradientEstimate)[],
  ) {}

  private take<T>(q: OracleQuestion): T {
    if (this.next < this.answers.length) return this.answers[this.next++] as T;
    // copy θ: the optimizer updates its array in place after the question
    throw new Unanswered({ ...q, theta: Float64Array.from(q.theta) });
  }

  loss(theta: Float64Array, batch: readonly number[], epsilon: number, warm?: WarmState): LossEstimate {
    return this.take({ kind: 'loss', theta, batch: [...batch], epsilon, ...(warm ? { warm } : {}) });
  }

  evaluate(theta: Float64Array, batch: readonly number[], tol: Tolerances, warm?: WarmState): HypergradientEstimate {
    return this.take({ kind: 'evaluate', theta, batch: [...batch], tol, ...(warm ? { warm } : {}) });
  }
}

/** One upper-level step of an optimizer against an {@link AsyncOracle}, by replay. */
export class AsyncStepper {
  /** Oracle questions answered so far (over all steps). */
  questions = 0;

  constructor(
    private readonly optimizer: Optimizer<OptimizerState>,
    private readonly oracle: AsyncOracle,
  ) {}

  /**
   * One step from `state` (not mutated): the new state and the step's record. The state's
   * `elapsed` counts the whole step, waiting for the answers included.
   */
  async step(state: OptimizerState): Promise<{ state: OptimizerState; record: StepRecord }> {
    const t0 = performance.now();
    const snapshot = this.optimizer.checkpoint(state);
    const answers: (LossEstimate | HypergradientEstimate)[] = [];
    for (;;) {
      const s = this.optimizer.restore(snapshot);
      try {
        const record = this.optimizer.step(new ReplayOracle(this.oracle.dimension, this.oracle.numSamples, answers), s);
        s.elapsed = state.elapsed + (performance.now() - t0);
        return { state: s, record: { ...record, wallTime: s.elapsed, stepTime: performance.now() - t0 } };
      } catch (e) {
        if (!(e instanceof Unanswered)) throw e;
        answers.push(await this.oracle.answer(e.question));
        this.questions++;
      }
    }
  }
}

/** A synchronous oracle behind promises (for tests: the replay must reproduce the direct steps). */
export function promisedOracle(oracle: HypergradientOracle): AsyncOracle {
  return {
    dimension: oracle.dimension,
    numSamples: oracle.numSamples,
    answer: async (q) => (q.kind === 'loss' ? oracle.loss(q.theta, q.batch, q.epsilon, q.warm) : oracle.evaluate(q.theta, q.batch, q.tol, q.warm)),
  };
}

/**
 * The piggyback oracle on its compute backend (`evaluateAsync`). A loss-only question is asked as
 * a hypergradient with `δ = ∞` (the backend runs the piggyback recursion anyway; its stop then
 * waits for `ε` only), and answered with the loss fields.
 */
export function backendOracle(oracle: PiggybackOracle): AsyncOracle {
  return {
    dimension: oracle.dimension,
    numSamples: oracle.numSamples,
    answer: (q) =>
      q.kind === 'evaluate'
        ? oracle.evaluateAsync(q.theta, q.batch, q.tol, q.warm)
        : oracle.evaluateAsync(q.theta, q.batch, { epsilon: q.epsilon, delta: Infinity }, q.warm),
  };
}
