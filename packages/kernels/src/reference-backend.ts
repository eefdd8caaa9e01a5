/**
 * The float64 reference backend: the {@link ComputeBackend} contract implemented with plain
 * JavaScript `Float64Array` loops. It is what auto-selection picks on a machine without a GPU
 * adapter, and what every gpu.js kernel is tested against.
 * @module
 */
import { assertLength, type Vec } from '@bilevel/core';
import {
  DisposedError,
  type BackendResources,
  type ComputeBackend,
  type HuberConjOptions,
  type RunSaddleOptions,
  type SaddleResult,
  type SaddleState,
} from './backend.js';
import { saddleHypergradient, saddleLoss } from './hypergradient.js';
import { filterAdjointRef, filterApplyRef, filterParamGradRef } from './reference/filter-bank.js';
import {
  axpbyRef,
  dotRef,
  proxHuberConjJvpRef,
  proxHuberConjRef,
  proxQuadraticJvpRef,
  proxQuadraticRef,
} from './reference/prox.js';
import { saddleIterateRef } from './reference/saddle.js';
import { divergenceRef, gradientRef } from './reference/stencil.js';
import { assertSameLength, finiteScalar, outArray, parseHuberOptions, prepareRun } from './run.js';
import { parseFilterBank, parseGrid, type SaddleFilterBank, type Grid, type SaddleSpec, type SaddleSteps } from './spec.js';

/**
 * The float64 JavaScript reference implementation of {@link ComputeBackend} (`mode: 'reference'`,
 * `precision: 'float64'`). Every method resolves with the result of a synchronous loop; the
 * saddle iteration keeps `x̄` and `X̄` between iterations and computes `Kx̄`, the prox steps and
 * `Kᵀy` in separate passes (edges outside the inner loops).
 */
export class ReferenceBackend implements ComputeBackend {
  /** Always `reference`. */
  readonly mode = 'reference' as const;
  /** Always `float64`. */
  readonly precision = 'float64' as const;
  private isDisposed = false;

  /** Whether {@link ReferenceBackend.dispose} has run. */
  get disposed(): boolean {
    return this.isDisposed;
  }

  private live(what: string): void {
    if (this.isDisposed) throw new DisposedError(`${what}: the reference backend was disposed; create a new one with selectBackend()`);
  }

  /** {@inheritDoc ComputeBackend.gradient} */
  async gradient(x: Vec, grid: Grid, out?: Vec): Promise<Vec> {
    this.live('gradient');
    const g = parseGrid(grid);
    assertLength('gradient x', x, g.height * g.width);
    return gradientRef(x, g.height, g.width, outArray('gradient out', out, 2 * g.height * g.width));
  }

  /** {@inheritDoc ComputeBackend.divergence} */
  async divergence(p: Vec, grid: Grid, out?: Vec): Promise<Vec> {
    this.live('divergence');
    const g = parseGrid(grid);
    assertLength('divergence p', p, 2 * g.height * g.width);
    return divergenceRef(p, g.height, g.width, outArray('divergence out', out, g.height * g.width));
  }

  /** {@inheritDoc ComputeBackend.filterApply} */
  async filterApply(x: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec> {
    this.live('filterApply');
    const g = parseGrid(grid);
    const k = parseFilterBank(bank, g);
    const n = g.height * g.width;
    assertLength('filterApply x', x, n);
    return filterApplyRef(x, g.height, g.width, k, outArray('filterApply out', out, k.count * n));
  }

  /** {@inheritDoc ComputeBackend.filterAdjoint} */
  async filterAdjoint(y: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec> {
    this.live('filterAdjoint');
    const g = parseGrid(grid);
    const k = parseFilterBank(bank, g);
    const n = g.height * g.width;
    assertLength('filterAdjoint y', y, k.count * n);
    return filterAdjointRef(y, g.height, g.width, k, outArray('filterAdjoint out', out, n));
  }

  /** {@inheritDoc ComputeBackend.filterParamGrad} */
  async filterParamGrad(x: Vec, y: Vec, grid: Grid, bank: SaddleFilterBank, out?: Vec): Promise<Vec> {
    this.live('filterParamGrad');
    const g = parseGrid(grid);
    const k = parseFilterBank(bank, g);
    const n = g.height * g.width;
    assertLength('filterParamGrad x', x, n);
    assertLength('filterParamGrad y', y, k.count * n);
    return filterParamGradRef(x, y, g.height, g.width, k, outArray('filterParamGrad out', out, k.kernels.length));
  }

  /** {@inheritDoc ComputeBackend.proxQuadratic} */
  async proxQuadratic(v: Vec, b: Vec, tau: number, out?: Vec): Promise<Vec> {
    this.live('proxQuadratic');
    assertSameLength('proxQuadratic v, b', v, b);
    return proxQuadraticRef(v, b, finiteScalar('proxQuadratic tau', tau), outArray('proxQuadratic out', out, v.length));
  }

  /** {@inheritDoc ComputeBackend.proxQuadraticJvp} */
  async proxQuadraticJvp(dv: Vec, tau: number, out?: Vec): Promise<Vec> {
    this.live('proxQuadraticJvp');
    return proxQuadraticJvpRef(dv, finiteScalar('proxQuadraticJvp tau', tau), outArray('proxQuadraticJvp out', out, dv.length));
  }

  /** {@inheritDoc ComputeBackend.proxHuberConj} */
  async proxHuberConj(w: Vec, options: HuberConjOptions, out?: Vec): Promise<Vec> {
    this.live('proxHuberConj');
    return proxHuberConjRef(w, parseHuberOptions(options, w), outArray('proxHuberConj out', out, w.length));
  }

  /** {@inheritDoc ComputeBackend.proxHuberConjJvp} */
  async proxHuberConjJvp(w: Vec, dw: Vec, options: HuberConjOptions, out?: Vec): Promise<Vec> {
    this.live('proxHuberConjJvp');
    assertSameLength('proxHuberConjJvp w, dw', w, dw);
    return proxHuberConjJvpRef(w, dw, parseHuberOptions(options, w), outArray('proxHuberConjJvp out', out, w.length));
  }

  /** {@inheritDoc ComputeBackend.axpby} */
  async axpby(a: number, x: Vec, b: number, y: Vec, out?: Vec): Promise<Vec> {
    this.live('axpby');
    assertSameLength('axpby x, y', x, y);
    return axpbyRef(finiteScalar('axpby a', a), x, finiteScalar('axpby b', b), y, outArray('axpby out', out, x.length));
  }

  /** {@inheritDoc ComputeBackend.dot} */
  async dot(x: Vec, y: Vec): Promise<number> {
    this.live('dot');
    assertSameLength('dot x, y', x, y);
    return dotRef(x, y);
  }

  /** {@inheritDoc ComputeBackend.sumOfSquares} */
  async sumOfSquares(x: Vec): Promise<number> {
    this.live('sumOfSquares');
    return dotRef(x, x);
  }

  /** {@inheritDoc ComputeBackend.runSaddle} */
  async runSaddle(spec: SaddleSpec, steps: SaddleSteps, options: RunSaddleOptions): Promise<SaddleResult> {
    this.live('runSaddle');
    const run = prepareRun(spec, steps, options);
    saddleIterateRef(run.spec, run.steps, run.state, run.iterations, run.piggyback);
    const target = run.spec.target;
    return {
      ...run.state,
      iterations: run.iterations,
      piggyback: run.piggyback,
      mode: 'reference',
      executor: 'reference-loops',
      ...(target ? { loss: saddleLoss(target, run.state.x) } : {}),
    };
  }

  /** {@inheritDoc ComputeBackend.hypergradient} */
  async hypergradient(spec: SaddleSpec, state: SaddleState): Promise<Float64Array> {
    this.live('hypergradient');
    return saddleHypergradient(spec, state);
  }

  /** Always zeros: the reference holds no device resources. */
  resources(): BackendResources {
    return { gpus: 0, kernels: 0, pipelines: 0 };
  }

  /** Mark the backend disposed (later calls reject with {@link DisposedError}). */
  async dispose(): Promise<void> {
    this.isDisposed = true;
  }
}
