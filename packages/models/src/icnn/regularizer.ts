/**
 * The input-convex neural network (ICNN) regularizer of arXiv 2412.06436's headline experiment
 * ("training an input-convex neural network"), in the simple architecture of Wong's
 * `simple_ICNN` (`hsw43/icnn_primal_dual`, `models.py`; docs/math/icnn.md#the-network):
 * ```
 * R_θ(x) = Σ_m a_m h_{ω₁}((W_A·avgpool_s(σ(W₀x + b₀)))_m + b₁_m)
 * ```
 * with `W₀` a learnable filter bank, `σ` the (smoothed) leaky ReLU, `W_A ≥ 0` learnable, `h_{ω₁}`
 * the (smoothed) ReLU and `a > 0` fixed output weights; or, with a convolutional hidden layer
 * (translation-invariant, θ independent of the image size; docs/math/icnn.md#convolutional-hidden-layer),
 * ```
 * R_θ(x) = Σ_m a_m Σ_p h_{ω₁}((W_A ⋆ σ(W₀x + b₀))_{m,p} + b₁_m)
 * ```
 * with `W_A ≥ 0` a second filter bank (`F → M` channels).
 * @module
 */
import { Rng, shapeSize, ValidationError, type OperatorNorm, type ParametricOperator, type ParametricSmooth, type Shape, type Vec } from '@bilevel/core';
import { ConvFilterBank, type ConvBoundary } from '@bilevel/operators';
import { ensure } from '@bilevel/core';
import { leakyRelu } from '@bilevel/prox';
import { gates, leakyReluCurvature, leakyReluLayer, reluCurvature, reluUnits, type Gates } from './gates.js';
import { IcnnLiftedOperator } from './lifted-operator.js';
import { PooledDense } from './pooled-dense.js';
import { blockValues, checkShape, checkSlope, dataArray, nonNegativeOption, positiveBlockValues, positiveIntegerOption } from '@bilevel/core';

/**
 * The hidden layer `A` of the ICNN: a learnable linear map from the activations `[F, H, W]` with
 * a certified norm bound and a bound `C_A` on its parameter derivative
 * (`‖∇_θ⟨A z, y⟩‖ ≤ C_A‖z‖‖y‖`): {@link PooledDense} (`[M]`) or a `ConvFilterBank` (`[M, H, W]`).
 */
export type IcnnHiddenLayer = ParametricOperator & { norm(): OperatorNorm; paramVjpBound(): number };

/** Options of {@link IcnnRegularizer}. */
export interface IcnnOptions {
  /** Image shape `[C_in, H, W]`; for the pooled hidden layer `H` and `W` divisible by `poolFactor`. */
  readonly shape: Shape;
  /** Number of filters `F` of the first layer (default 8; the paper-scale network has 32). */
  readonly filters?: number;
  /** Odd side `k` of the first layer's kernels (default 5). */
  readonly kernelSize?: number;
  /** Boundary rule of the first layer's convolution (default `symmetric`). */
  readonly boundary?: ConvBoundary;
  /**
   * The hidden layer: `pooled` (default; average pooling by `poolFactor`, then a dense layer, one
   * weight per pooled cell, so θ depends on the image size) or `convolutional` (a nonnegative
   * filter bank with `hiddenKernelSize`, summed over pixels: translation-invariant).
   */
  readonly hidden?: 'pooled' | 'convolutional';
  /** Pooling factor `s` of the pooled hidden layer (default 4; Wong's network pools by 16 on 256² images). */
  readonly poolFactor?: number;
  /** Odd side `k₁` of the convolutional hidden layer's kernels (default 3). */
  readonly hiddenKernelSize?: number;
  /** Number of hidden units `M` (default 8). */
  readonly units?: number;
  /** Slope `a ∈ [0, 1)` of the leaky ReLU (default 0.2, as Wong's). */
  readonly slope?: number;
  /** Smoothing `ω₀ ≥ 0` of the leaky ReLU (default 0.01, as Wong's; 0: non-smoothed). */
  readonly smoothing?: number;
  /** Smoothing `ω₁ ≥ 0` of the hidden ReLU (default 0.01; 0: non-smoothed). */
  readonly hiddenSmoothing?: number;
  /** Bias `b₀` of the first layer: one value or one per filter (default 0; fixed). */
  readonly convBias?: number | ArrayLike<number>;
  /** Bias `b₁` of the hidden units: one value or one per unit (default 0; fixed). */
  readonly hiddenBias?: number | ArrayLike<number>;
  /** Output weights `a_m > 0`: one value or one per unit (default 1; fixed). */
  readonly outputWeights?: number | ArrayLike<number>;
  /** Initial kernels `[filter][in][row][col]` (default: seeded normal, each filter minus its mean, the bank scaled to the norm bound `‖W₀‖ ≤ 1`). */
  readonly kernels?: ArrayLike<number>;
  /**
   * Initial hidden weights `[unit][filter][row][col]` (of the pooled features, or the hidden
   * kernels); default: seeded uniform on `[0, 2/P]`, `P` the weights per unit.
   */
  readonly hiddenWeights?: ArrayLike<number>;
  /** Seed of the default initialisation (default 0). */
  readonly seed?: number;
}

/** Offsets of the two parameter blocks of θ. */
export interface IcnnParamLayout {
  /** The first layer's kernels `W0[f][c][i,j]`. */
  readonly kernels: { readonly offset: number; readonly length: number };
  /** The hidden layer's weights `WA[m][f,i,j]` (nonnegative). */
  readonly hidden: { readonly offset: number; readonly length: number };
  /** Total length of θ. */
  readonly size: number;
}

/**
 * The ICNN regularizer `R_θ(x)` (module comment), convex in `x` whenever `W_A ≥ 0`: `σ` is
 * convex, average pooling and `W_A ≥ 0` are nonnegative linear maps (they preserve convexity),
 * `h_{ω₁}` is convex and nondecreasing, and `a > 0`.
 *
 * **Parameters** `θ = [W₀; W_A]` (learnable; the layout is {@link IcnnRegularizer.layout}):
 * - `W0[f][c][i,j]`, `f < F`, `c < C_in`, `i, j < k`: the kernels of the filter bank
 *   (`@bilevel/operators` `ConvFilterBank`: `(W₀x)[f, p] = Σ_c Σ_q W0[f][c][q]·x̃[c, p + q]`);
 * - `WA[m][f,i,j]`, `m < M`, `f < F`, `i < H/s`, `j < W/s`: the hidden layer on the pooled features,
 *   kept nonnegative by {@link IcnnRegularizer.project} (the optimizers' `project` hook).
 *
 * The biases `b₀`, `b₁` and the output weights `a` are fixed hyperparameters: every learnable
 * parameter then sits in the operator `K` of the saddle form (θ = `K.params`, so the piggyback
 * estimator and its Theorem 2 bound cover all of θ). Fixing `a` loses little: `a_m` only
 * rescales unit `m`, which `W_A`'s row `m` can do too (`a h_ω(v) = h_{aω}(av)`, up to the
 * smoothing width).
 *
 * **Smooth form** (for `ω₀, ω₁ > 0`): `value`, `gradient` and `hvp` by direct backpropagation,
 * ```
 * u = W₀x + b₀, z = σ(u), v = W_A P z + b₁;   ∇R = W₀ᵀ(σ'(u) ⊙ Pᵀ W_Aᵀ(a ⊙ h'(v)))
 * ∇²R = W₀ᵀ[diag(σ''(u) ⊙ g_z) + D Pᵀ W_Aᵀ diag(a ⊙ h''(v)) W_A P D]W₀,  g_z = PᵀW_Aᵀ(a ⊙ h'(v)), D = diag(σ'(u))
 * ```
 * (`A = W_A P` pooled, `A = W_A⋆` convolutional, with `a` broadcast over each unit's entries)
 * and the Lipschitz bound `L_R = ‖W₀‖²((1 − a_σ)/ω₀·max_j (|A|ᵀa)_j + max a/ω₁·‖A‖²)` (`|A|` the
 * layer with `|W_A|`; `max_j (|A|ᵀa)_j = max_col Σ_m a_m|W_A[m, col]|/s²` when pooled)
 * (`Infinity` when a smoothing is 0, where `gradient`/`hvp` return an a.e. derivative).
 * `valueParamGrad` gives `∇_θR(x)` (correlation of `g_u` with `x`, outer product `(a ⊙ h'(v))(Pz)ᵀ`);
 * `mixedVjp`/`mixedJvp` the mixed derivative `B = ∂_θ∇ₓR` that implicit differentiation needs
 * (docs/math/icnn.md#the-smooth-form-and-implicit-differentiation).
 *
 * **Saddle form**: {@link IcnnRegularizer.operator} is `K(x, z) = (W₀x, z, W_A P z)` (sharing the
 * parameters); the dual terms and the model are built by `icnnSaddleModel`.
 */
export class IcnnRegularizer implements ParametricSmooth {
  /** Image shape `[C_in, H, W]`. */
  readonly shape: Shape;
  /** The first layer `W₀` (learnable). */
  readonly conv: ConvFilterBank;
  /** The hidden layer `W_A·avgpool_s` or `W_A⋆` (learnable, nonnegative in an ICNN). */
  readonly hidden: IcnnHiddenLayer;
  /** Which hidden layer. */
  readonly hiddenKind: 'pooled' | 'convolutional';
  /** Entries of the hidden layer's output: `M` (pooled) or `M·H·W` (convolutional). */
  readonly hiddenSize: number;
  /** `F`. */
  readonly filters: number;
  /** `k`. */
  readonly kernelSize: number;
  /** `s` (pooled hidden layer; 1 for the convolutional one). */
  readonly poolFactor: number;
  /** `M`. */
  readonly units: number;
  /** Leaky ReLU slope `a_σ`. */
  readonly slope: number;
  /** `ω₀`. */
  readonly smoothing: number;
  /** `ω₁`. */
  readonly hiddenSmoothing: number;
  /** `b₀`, one per filter. */
  readonly convBias: Float64Array;
  /** `b₁`, one per unit. */
  readonly hiddenBias: Float64Array;
  /** `a`, one per unit. */
  readonly outputWeights: Float64Array;
  /** Offsets of the parameter blocks. */
  readonly layout: IcnnParamLayout;
  /** `0`: `R` is convex but not strongly convex. */
  readonly strongConvexity = 0;
  private readonly hw: number;
  private readonly nz: number;
  private readonly theta: Float64Array;
  private readonly u: Float64Array;
  private readonly z: Float64Array;
  private readonly gz: Float64Array;
  private readonly gu: Float64Array;
  private readonly du: Float64Array;
  /** `σ'(u)` of the last forward pass. */
  private readonly su: Float64Array;
  /** Branch-free constants of `σ` (first layer) and `h_{ω₁}` (hidden units). */
  private readonly gates: { readonly first: Gates; readonly hidden: Gates };
  private readonly v: Float64Array;
  private readonly gv: Float64Array;
  private readonly dv: Float64Array;
  /** Hidden entries per unit: 1 (pooled) or `H·W` (convolutional). */
  private readonly unitBlock: number;
  private operatorCache: IcnnLiftedOperator | undefined;
  private absHidden: IcnnHiddenLayer | undefined;
  private readonly makeHidden: () => IcnnHiddenLayer;
  private readonly makeConv: () => ConvFilterBank;
  /** Layers holding a parameter direction `dθ` (`mixedJvp`) and its buffers, made on first use. */
  private tangent: { conv: ConvFilterBank; hidden: IcnnHiddenLayer; theta: Float64Array; z: Float64Array; v: Float64Array; x: Float64Array } | undefined;

  constructor(options: IcnnOptions) {
    const what = 'IcnnRegularizer';
    ensure(typeof options === 'object' && options !== null, `${what}: options must be an object with at least { shape: [C, H, W] }`);
    this.shape = checkShape(what, options.shape);
    ensure(this.shape.length === 3, `${what} shape: expected [C, H, W], got ${this.shape.length} dimensions`);
    const [C, H, W] = this.shape as [number, number, number];
    this.filters = positiveIntegerOption(`${what} filters`, options.filters ?? 8);
    this.kernelSize = positiveIntegerOption(`${what} kernelSize`, options.kernelSize ?? 5);
    ensure(this.kernelSize % 2 === 1, `${what} kernelSize: must be odd, got ${this.kernelSize}`);
    this.hiddenKind = options.hidden ?? 'pooled';
    ensure(this.hiddenKind === 'pooled' || this.hiddenKind === 'convolutional', `${what} hidden: must be 'pooled' or 'convolutional', got ${String(options.hidden)}`);
    const pooled = this.hiddenKind === 'pooled';
    this.poolFactor = pooled ? positiveIntegerOption(`${what} poolFactor`, options.poolFactor ?? 4) : 1;
    const k1 = pooled ? 1 : positiveIntegerOption(`${what} hiddenKernelSize`, options.hiddenKernelSize ?? 3);
    ensure(k1 % 2 === 1, `${what} hiddenKernelSize: must be odd, got ${k1}`);
    this.units = positiveIntegerOption(`${what} units`, options.units ?? 8);
    ensure(
      H % this.poolFactor === 0 && W % this.poolFactor === 0,
      `${what}: height ${H} and width ${W} must be divisible by poolFactor ${this.poolFactor}; crop the image or change poolFactor`,
    );
    this.slope = checkSlope(`${what} slope`, options.slope ?? 0.2);
    this.smoothing = nonNegativeOption(`${what} smoothing`, options.smoothing ?? 0.01);
    this.hiddenSmoothing = nonNegativeOption(`${what} hiddenSmoothing`, options.hiddenSmoothing ?? 0.01);
    const F = this.filters;
    const M = this.units;
    const k = this.kernelSize;
    this.convBias = expand(blockValues(`${what} convBias`, options.convBias ?? 0, F), F);
    this.hiddenBias = expand(blockValues(`${what} hiddenBias`, options.hiddenBias ?? 0, M), M);
    this.outputWeights = expand(positiveBlockValues(`${what} outputWeights`, options.outputWeights ?? 1, M), M);
    const rng = Rng.seeded(options.seed ?? 0);
    const nk = F * C * k * k;
    let kernels: Float64Array;
    if (options.kernels !== undefined) kernels = dataArray(`${what} kernels`, options.kernels, nk);
    else {
      kernels = rng.normalVec(nk);
      const per = C * k * k;
      for (let f = 0; f < F; f++) {
        let mean = 0;
        for (let i = 0; i < per; i++) mean += kernels[f * per + i]! / per;
        for (let i = 0; i < per; i++) kernels[f * per + i] = kernels[f * per + i]! - mean;
      }
    }
    const boundary = options.boundary ?? 'symmetric';
    this.makeConv = () => new ConvFilterBank({ inChannels: C, outChannels: F, height: H, width: W, kernelSize: k, boundary });
    this.conv = this.makeConv();
    this.conv.setParams(kernels);
    if (options.kernels === undefined) {
      // default initialisation: scale the bank so that its Schur bound is 1, like the identity block of K
      const bound = this.conv.schurBound();
      if (bound > 0) this.conv.setParams(kernels.map((t) => t / bound));
    }
    this.makeHidden = pooled
      ? () => new PooledDense({ channels: F, height: H, width: W, factor: this.poolFactor, units: M })
      : () => new ConvFilterBank({ inChannels: F, outChannels: M, height: H, width: W, kernelSize: k1, boundary });
    this.hidden = this.makeHidden();
    this.hiddenSize = shapeSize(this.hidden.range);
    const nh = this.hidden.params.length;
    const P = nh / M;
    if (options.hiddenWeights !== undefined) this.hidden.setParams(dataArray(`${what} hiddenWeights`, options.hiddenWeights, nh));
    else {
      const w = new Float64Array(nh);
      for (let i = 0; i < w.length; i++) w[i] = (2 / P) * rng.uniform();
      this.hidden.setParams(w);
    }
    this.layout = Object.freeze({
      kernels: Object.freeze({ offset: 0, length: nk }),
      hidden: Object.freeze({ offset: nk, length: nh }),
      size: nk + nh,
    });
    this.hw = H * W;
    this.nz = F * this.hw;
    this.theta = new Float64Array(this.layout.size);
    this.u = new Float64Array(this.nz);
    this.z = new Float64Array(this.nz);
    this.gz = new Float64Array(this.nz);
    this.gu = new Float64Array(this.nz);
    this.du = new Float64Array(this.nz);
    this.su = new Float64Array(this.nz);
    this.gates = Object.freeze({ first: gates(this.smoothing), hidden: gates(this.hiddenSmoothing) });
    this.v = new Float64Array(this.hiddenSize);
    this.gv = new Float64Array(this.hiddenSize);
    this.dv = new Float64Array(this.hiddenSize);
    this.unitBlock = (this.hiddenSize / M) | 0;
  }

  /** `θ = [W₀; W_A]` (a snapshot refreshed on every read; change it with `setParams`). */
  get params(): Float64Array {
    this.theta.set(this.conv.params, 0);
    this.theta.set(this.hidden.params, this.layout.hidden.offset);
    return this.theta;
  }

  /** `W0[f][c][i,j]` then `WA[m][f,i,j]` (see the class comment). */
  paramNames(): readonly string[] {
    return this.operator.paramNames();
  }

  /** Copy `θ` into the filter bank and the hidden layer (no projection: see {@link IcnnRegularizer.project}). */
  setParams(theta: ArrayLike<number>): void {
    this.operator.setParams(theta);
  }

  /**
   * The projection hook `(θ) => void` for the optimizers' `project` option: clamps the `W_A` block
   * of `θ` (in place) to `≥ 0`, which keeps `R` convex. Idempotent; leaves the kernels alone.
   */
  readonly project = (theta: Float64Array): void => {
    ensure(theta.length === this.layout.size, `IcnnRegularizer.project: θ has ${theta.length} entries, expected ${this.layout.size}`);
    const { offset, length } = this.layout.hidden;
    for (let i = offset; i < offset + length; i++) if (theta[i]! < 0) theta[i] = 0;
  };

  /** Whether the current `W_A ≥ 0` (then `R` is convex). */
  isConvex(): boolean {
    return this.hidden.params.every((w) => w >= 0);
  }

  /** The lifted operator `K(x, z) = (W₀x, z, W_A P z)` sharing this regularizer's parameters (one instance). */
  get operator(): IcnnLiftedOperator {
    this.operatorCache ??= new IcnnLiftedOperator(this.conv, this.hidden);
    return this.operatorCache;
  }

  /** Number of entries of the auxiliary variable `z` (`F·H·W`). */
  get auxiliarySize(): number {
    return this.nz;
  }

  /** `out = σ(W₀x + b₀)`, the first layer's activations (shape `[F, H, W]`). */
  activations(x: Vec, out: Vec): Vec {
    this.preActivations(x, out);
    for (let i = 0; i < this.nz; i++) out[i] = leakyRelu(out[i]!, this.slope, this.smoothing);
    return out;
  }

  /** `out = W₀x + b₀`. */
  private preActivations(x: Vec, out: Vec): Vec {
    this.conv.apply(x, out);
    for (let f = 0, o = 0; f < this.filters; f++, o += this.hw) {
      const b = this.convBias[f]!;
      if (b !== 0) for (let p = o; p < o + this.hw; p++) out[p] = out[p]! + b;
    }
    return out;
  }

  /**
   * Forward pass into `u = W₀x + b₀`, `z = σ(u)`, `σ'(u)` (in `su`), `v = Az + b₁` and, from
   * the same pass over `v`, `gv = a ⊙ h'(v)`; returns `R(x)`. The loops are branch-free
   * (`gates.ts`), each in a method of its own (compiled on its own, whatever ran before).
   */
  private forward(x: Vec): number {
    this.conv.apply(x, this.u);
    this.firstLayer();
    this.hidden.apply(this.z, this.v);
    return this.hiddenUnits();
  }

  /** `u ← u + b₀`, `z = σ(u)`, `su = σ'(u)`, filter by filter. */
  private firstLayer(): void {
    for (let f = 0, o = 0; f < this.filters; f++, o += this.hw) leakyReluLayer(this.u, this.z, this.su, o, o + this.hw, this.convBias[f]!, this.slope, this.gates.first);
  }

  /** `v ← v + b₁`, `gv = a ⊙ h'(v)`, unit by unit; returns `Σ_j a_j h(v_j)`. */
  private hiddenUnits(): number {
    const B = this.unitBlock;
    let r = 0;
    for (let m = 0, o = 0; m < this.units; m++, o += B) r = reluUnits(this.v, this.gv, o, o + B, this.hiddenBias[m]!, this.outputWeights[m]!, this.gates.hidden, r);
    return r;
  }

  /** Backward pass after {@link forward}: `gz = PᵀW_Aᵀgv`, `gu = σ'(u) ⊙ gz`. */
  private backward(): void {
    const { su, gz, gu, gv } = this;
    this.hidden.adjoint(gv, gz);
    const n = this.nz;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      gu[i] = su[i]! * gz[i]!;
      gu[i + 1] = su[i + 1]! * gz[i + 1]!;
      gu[i + 2] = su[i + 2]! * gz[i + 2]!;
      gu[i + 3] = su[i + 3]! * gz[i + 3]!;
    }
    for (; i < n; i++) gu[i] = su[i]! * gz[i]!;
  }

  /** `R_θ(x)`. */
  value(x: Vec): number {
    return this.forward(x);
  }

  /** `out = ∇R(x)` by backpropagation (an a.e. gradient when a smoothing is 0); `out` must not alias `x`. */
  gradient(x: Vec, out: Vec): Vec {
    this.forward(x);
    this.backward();
    return this.conv.adjoint(this.gu, out);
  }

  /** `out = ∇²R(x)·w` (forward-over-reverse, see the class comment); `out` must not alias `x` or `w`. */
  hvp(x: Vec, w: Vec, out: Vec): Vec {
    this.forward(x);
    const { gz, gu, du, dv, gv } = this;
    // g_z only: backward's g_u is not needed here
    this.hidden.adjoint(gv, gz);
    this.conv.apply(w, du);
    // gu ← σ''(u)·gz·du (first term); du ← σ'(u)·du = dz
    this.firstLayerCurvature(gu);
    this.hidden.apply(du, dv);
    this.hiddenCurvature(dv, gv);
    this.hidden.adjoint(gv, gz);
    this.addGated(gu, gz);
    return this.conv.adjoint(gu, out);
  }

  /** Lipschitz bound of `∇R` (class comment); `Infinity` when a smoothing is 0. */
  get lipschitz(): number {
    if (!(this.smoothing > 0) || !(this.hiddenSmoothing > 0)) return Infinity;
    const W0 = this.conv.norm().value;
    const A = this.hidden.norm().value;
    // max_j (|A|ᵀ a)_j bounds ‖g_z‖_∞ = ‖Aᵀ(a ⊙ h'(v))‖_∞ (0 ≤ h' ≤ 1): the adjoint of the layer with |W_A|
    const abs = (this.absHidden ??= this.makeHidden());
    abs.setParams(this.hidden.params.map(Math.abs));
    const a = new Float64Array(this.hiddenSize);
    for (let j = 0; j < a.length; j++) a[j] = this.outputWeights[(j / this.unitBlock) | 0]!;
    let colMax = 0;
    for (const c of abs.adjoint(a, new Float64Array(this.nz))) colMax = Math.max(colMax, c);
    let aMax = 0;
    for (const t of this.outputWeights) aMax = Math.max(aMax, t);
    return W0 * W0 * (((1 - this.slope) / this.smoothing) * colMax + (aMax / this.hiddenSmoothing) * A * A);
  }

  /** `grad += scale·∇_θR(x)`: `W₀`: correlation of `g_u` with `x`; `W_A`: `(a ⊙ h'(v))(P z)ᵀ`. */
  valueParamGrad(x: Vec, grad: Float64Array, scale = 1): void {
    if (grad.length !== this.layout.size) throw new ValidationError(`IcnnRegularizer.valueParamGrad: grad has ${grad.length} entries, expected ${this.layout.size}`);
    this.forward(x);
    this.backward();
    this.conv.paramVjp(x, this.gu, grad.subarray(0, this.layout.kernels.length), scale);
    this.hidden.paramVjp(this.z, this.gv, grad.subarray(this.layout.hidden.offset), scale);
  }

  /**
   * `grad += scale·Bᵀq = scale·∇_θ⟨∇R(x), q⟩`. With `δu = W₀q`, `δz = σ'(u) ⊙ δu`,
   * `n = a ⊙ h''(v) ⊙ Aδz` and `e = σ''(u) ⊙ g_z ⊙ δu + σ'(u) ⊙ Aᵀn` (the Hessian's inner vector):
   * `W₀`: correlation of `g_u` with `q` plus of `e` with `x`; `W_A`: `∇_{W_A}⟨Aδz, a ⊙ h'(v)⟩ + ∇_{W_A}⟨Az, n⟩`.
   */
  mixedVjp(x: Vec, q: Vec, grad: Float64Array, scale = 1): void {
    if (grad.length !== this.layout.size) throw new ValidationError(`IcnnRegularizer.mixedVjp: grad has ${grad.length} entries, expected ${this.layout.size}`);
    this.forward(x);
    this.backward();
    const gW0 = grad.subarray(0, this.layout.kernels.length);
    const gA = grad.subarray(this.layout.hidden.offset);
    const { z, gz, gu, du, gv, dv } = this;
    const t = this.tangentLayers();
    this.conv.paramVjp(q, gu, gW0, scale);
    this.conv.apply(q, du);
    this.firstLayerCurvature(t.z);
    this.hidden.paramVjp(du, gv, gA, scale);
    this.hidden.apply(du, dv);
    this.hiddenCurvature(dv, t.v);
    this.hidden.paramVjp(z, t.v, gA, scale);
    this.hidden.adjoint(t.v, gz);
    this.addGated(t.z, gz);
    this.conv.paramVjp(x, t.z, gW0, scale);
  }

  /**
   * `out = B·dθ = ∂_θ∇R(x)·dθ`, the transpose of {@link IcnnRegularizer.mixedVjp}: with `δu = δW₀x`,
   * `δv = Aσ'(u)δu + δA z`, `n = a ⊙ h''(v) ⊙ δv`:
   * `out = W₀ᵀ(σ''(u) ⊙ g_z ⊙ δu + σ'(u) ⊙ (Aᵀn + δAᵀ(a ⊙ h'(v)))) + δW₀ᵀg_u`; `out` must not alias `x`.
   */
  mixedJvp(x: Vec, dTheta: ArrayLike<number>, out: Vec): Vec {
    if (dTheta.length !== this.layout.size) throw new ValidationError(`IcnnRegularizer.mixedJvp: dTheta has ${dTheta.length} entries, expected ${this.layout.size}`);
    this.forward(x);
    this.backward();
    const t = this.tangentLayers();
    t.theta.set(dTheta);
    t.conv.setParams(t.theta.subarray(0, this.layout.kernels.length));
    t.hidden.setParams(t.theta.subarray(this.layout.hidden.offset));
    const { z, gz, gu, du, gv, dv } = this;
    t.conv.apply(x, du);
    this.firstLayerCurvature(t.z);
    this.hidden.apply(du, dv);
    t.hidden.apply(z, t.v);
    for (let j = 0; j < this.hiddenSize; j++) dv[j] = dv[j]! + t.v[j]!;
    this.hiddenCurvature(dv, t.v);
    this.hidden.adjoint(t.v, gz);
    t.hidden.adjoint(gv, du);
    for (let i = 0; i < this.nz; i++) gz[i] = gz[i]! + du[i]!;
    this.addGated(t.z, gz);
    this.conv.adjoint(t.z, out);
    t.conv.adjoint(gu, t.x);
    for (let i = 0; i < out.length; i++) out[i] = out[i]! + t.x[i]!;
    return out;
  }

  /** After {@link forward}/{@link backward} with `δu` in `du`: `e ← σ''(u) ⊙ g_z ⊙ δu` and `du ← σ'(u) ⊙ δu = δz`. */
  private firstLayerCurvature(e: Float64Array): void {
    leakyReluCurvature(this.u, this.su, this.gz, this.du, e, this.nz, this.slope, this.gates.first);
  }

  /** `out = a ⊙ h''(v) ⊙ δv` (the hidden layer's curvature at the last forward pass). */
  private hiddenCurvature(dv: Float64Array, out: Float64Array): void {
    const B = this.unitBlock;
    for (let m = 0, o = 0; m < this.units; m++, o += B) reluCurvature(this.v, dv, out, o, o + B, this.outputWeights[m]!, this.gates.hidden);
  }

  /** `e += σ'(u) ⊙ s`. */
  private addGated(e: Float64Array, s: Float64Array): void {
    const { su } = this;
    for (let i = 0, n = this.nz; i < n; i++) e[i] = e[i]! + su[i]! * s[i]!;
  }

  private tangentLayers(): NonNullable<IcnnRegularizer['tangent']> {
    this.tangent ??= { conv: this.makeConv(), hidden: this.makeHidden(), theta: new Float64Array(this.layout.size), z: new Float64Array(this.nz), v: new Float64Array(this.hiddenSize), x: new Float64Array(shapeSize(this.shape)) };
    return this.tangent;
  }

  /** Number of entries of `x`. */
  get imageSize(): number {
    return shapeSize(this.shape);
  }
}

/** Broadcast per-block values to one per item. */
function expand(values: Float64Array, count: number): Float64Array {
  if (values.length === count) return values;
  const out = new Float64Array(count);
  const per = count / values.length;
  for (let i = 0; i < count; i++) out[i] = values[(i / per) | 0]!;
  return out;
}
