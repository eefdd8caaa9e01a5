/**
 * Operator algebra: composition, sum, scaling, vertical stack (block column), block diagonal
 * and transpose. Each combination carries its adjoint, a norm derived from its parts, and the
 * parameter derivatives of its parts.
 *
 * Parameters of a combination are those of its parametric *leaves* (the parametric operators
 * inside it that are not combinations themselves), each leaf counted once in order of first
 * appearance, concatenated. `setParams` splits `θ` and forwards the pieces; `paramVjp`
 * accumulates into each leaf's slice of `grad`, so an operator used twice (shared weights)
 * receives the sum of both contributions. A combination is a `ParametricOperator` iff it has a
 * parametric leaf.
 * @module
 */
import {
  finite,
  formatShape,
  isParametricOperator,
  shapeSize,
  z,
  ShapeError,
  ValidationError,
  type LinearOperator,
  type OperatorNorm,
  type ParametricOperator,
  type Shape,
  type Vec,
} from '@bilevel/core';
import { estimateNorm, isProvable } from './norms.js';
import { checkCall, checkParams, checkVjpCall, parseOptions } from './validate.js';

/** Slices of the caller's `grad`, one per parametric leaf. */
type GradSlots = Map<ParametricOperator, Float64Array>;

/**
 * Cached `subarray` views of the segments `[offsets[k], offsets[k+1])` of arrays passed to a
 * block operator, keyed weakly by the array, so that steady-state calls allocate nothing.
 */
class Segments {
  private readonly cache = new WeakMap<Float64Array, Float64Array[]>();

  constructor(private readonly offsets: readonly number[]) {}

  of(a: Float64Array): Float64Array[] {
    let v = this.cache.get(a);
    if (v === undefined) {
      v = [];
      for (let k = 0; k + 1 < this.offsets.length; k++) v.push(a.subarray(this.offsets[k], this.offsets[k + 1]));
      this.cache.set(a, v);
    }
    return v;
  }
}

function add(n: number, src: Vec, dst: Vec): void {
  for (let i = 0; i < n; i++) dst[i] = dst[i]! + src[i]!;
}

/**
 * `out = Σ_k P_k(v_k)` with `P_k` the `apply` or the `adjoint` of part `k` and `v_k = vs[k]` (`vs`
 * itself for every part when it is one vector): the first term is written into `out`, the others
 * into `work` (`size` entries, the size of `out`) and added. `out` must not alias a `v_k`.
 */
function sumOfParts(parts: readonly LinearOperator[], method: 'apply' | 'adjoint', vs: Vec | readonly Vec[], size: number, work: Vec, out: Vec): Vec {
  const one = vs instanceof Float64Array;
  parts[0]![method](one ? vs : vs[0]!, out);
  for (let k = 1; k < parts.length; k++) {
    parts[k]![method](one ? vs : vs[k]!, work);
    add(size, work, out);
  }
  return out;
}

/** The combination inside `op`, if `op` is one (possibly behind the parametric wrapper). */
function combinatorOf(op: LinearOperator): Combinator | undefined {
  if (op instanceof Combinator) return op;
  if (op instanceof ParametricCombinator) return op.combination;
  return undefined;
}

/** `grad slots += s·∇θ⟨P x, y⟩` for a part `P` (a leaf, a combination or a fixed operator). */
function vjpPart(part: LinearOperator, x: Vec, y: Vec, scale: number, slots: GradSlots): void {
  const c = combinatorOf(part);
  if (c !== undefined) {
    if (c.leaves.length > 0) c.accumulateVjp(x, y, scale, slots);
  } else if (isParametricOperator(part)) {
    part.paramVjp(x, y, slots.get(part)!, scale);
  }
}

type LeafBounds = Map<ParametricOperator, number>;

/**
 * Per-leaf constants `c_ℓ` with `‖∇_{θ_ℓ}⟨K x, y⟩‖ ≤ c_ℓ‖x‖‖y‖` for a part of a combination
 * (`Infinity` for a leaf without `paramVjpBound`).
 */
function leafBoundsOf(part: LinearOperator): LeafBounds {
  const c = combinatorOf(part);
  if (c !== undefined) return c.leafBounds();
  if (isParametricOperator(part)) return new Map([[part, part.paramVjpBound?.() ?? Infinity]]);
  return new Map();
}

/** `into[ℓ] += factor·from[ℓ]` (a leaf used twice contributes twice). */
function addBounds(into: LeafBounds, from: LeafBounds, factor = 1): LeafBounds {
  for (const [leaf, c] of from) into.set(leaf, (into.get(leaf) ?? 0) + factor * c);
  return into;
}

/** An upper bound of `‖A‖` (estimates get the safety factor 1.01 of the step-size rules). */
function normBound(op: LinearOperator): number {
  const n = op.norm?.() ?? estimateNorm(op);
  return n.kind === 'estimate' ? 1.01 * n.value : n.value;
}

function describe(op: LinearOperator): string {
  return `${op.constructor.name} (${formatShape(op.domain)} → ${formatShape(op.range)})`;
}

/** Throw a `ShapeError` unless every part has the domain size (and, with `range`, the range size) of part 0. */
function checkCommonSizes(what: string, parts: readonly LinearOperator[], range: boolean): void {
  const first = parts[0]!;
  parts.forEach((p, k) => {
    if (shapeSize(p.domain) !== shapeSize(first.domain) || (range && shapeSize(p.range) !== shapeSize(first.range))) {
      throw new ShapeError(`${what}: part ${k} is ${describe(p)} but part 0 is ${describe(first)}; all parts need the same ${range ? 'domain and range' : 'domain'}`);
    }
  });
}

/**
 * Base class of the combinations: holds the parts, the unique parametric leaves and the norm
 * logic (a provable bound from the parts' norms when they all have one, otherwise a seeded
 * power-iteration estimate of the combination, cached until the leaves' parameters change).
 */
export abstract class Combinator implements LinearOperator {
  /** The unique parametric leaves, in order of first appearance. */
  readonly leaves: readonly ParametricOperator[];
  /** Number of entries of the domain. */
  protected readonly n: number;
  /** Number of entries of the range. */
  protected readonly m: number;
  private estimate: { theta: Float64Array; norm: OperatorNorm } | undefined;

  /**
   * @param parts the operators combined
   * @param domain input shape of the combination
   * @param range output shape of the combination
   */
  protected constructor(
    readonly parts: readonly LinearOperator[],
    readonly domain: Shape,
    readonly range: Shape,
  ) {
    this.n = shapeSize(domain);
    this.m = shapeSize(range);
    const leaves: ParametricOperator[] = [];
    const seen = new Set<LinearOperator>();
    for (const p of parts) {
      const c = combinatorOf(p);
      const found = c !== undefined ? c.leaves : isParametricOperator(p) ? [p] : [];
      for (const leaf of found) {
        if (!seen.has(leaf)) {
          seen.add(leaf);
          leaves.push(leaf);
        }
      }
    }
    this.leaves = leaves;
  }

  /** `out = K x`. */
  abstract apply(x: Vec, out: Vec): Vec;
  /** `out = Kᵀ y`. */
  abstract adjoint(y: Vec, out: Vec): Vec;
  /**
   * `slots += scale·∇θ⟨K x, y⟩` for every leaf (used by `paramVjp`).
   * @internal
   */
  abstract accumulateVjp(x: Vec, y: Vec, scale: number, slots: GradSlots): void;
  /** The norm implied by the parts' norms, or `undefined` when no provable bound is known. */
  protected abstract combineNorms(norms: readonly OperatorNorm[]): OperatorNorm | undefined;

  /**
   * Per-leaf constants `c_ℓ` with `‖∇_{θ_ℓ}⟨K x, y⟩‖ ≤ c_ℓ‖x‖‖y‖`. Default (sum, stacks, block
   * diagonal, transpose): each part's leaf enters with its own constant, since its derivative
   * is taken against a sub-vector of `x` and `y`; a leaf used by several parts adds up.
   * @internal
   */
  leafBounds(): LeafBounds {
    const b: LeafBounds = new Map();
    for (const p of this.parts) addBounds(b, leafBoundsOf(p));
    return b;
  }

  /**
   * `‖K‖`: derived from the parts' norms when each part reports an exact value or an upper
   * bound (see each combination for the rule), otherwise a seeded power-iteration estimate of
   * the whole combination, cached until the leaves' parameters change.
   */
  norm(): OperatorNorm {
    const norms: OperatorNorm[] = [];
    for (const p of this.parts) {
      const n = p.norm?.();
      if (n === undefined) break;
      norms.push(n);
    }
    if (norms.length === this.parts.length) {
      const combined = this.combineNorms(norms);
      if (combined !== undefined) return combined;
    }
    const theta = this.leafParams();
    const cached = this.estimate;
    if (cached !== undefined && cached.theta.length === theta.length && cached.theta.every((t, i) => t === theta[i])) {
      return cached.norm;
    }
    const norm = estimateNorm(this);
    this.estimate = { theta, norm };
    return norm;
  }

  private leafParams(): Float64Array {
    let n = 0;
    for (const l of this.leaves) n += l.params.length;
    const theta = new Float64Array(n);
    let o = 0;
    for (const l of this.leaves) {
      theta.set(l.params, o);
      o += l.params.length;
    }
    return theta;
  }
}

/** All parts' norms provable: their kinds combine to `upper-bound` (or `exact` when `exact`). */
function provable(norms: readonly OperatorNorm[]): boolean {
  return norms.every(isProvable);
}

/**
 * The parametric face of a combination with learnable leaves: delegates `apply`, `adjoint`
 * and `norm` to the combination and adds `params` (the concatenated leaf parameters),
 * `paramNames`, `setParams` and `paramVjp`.
 */
export class ParametricCombinator implements ParametricOperator {
  /** Input shape. */
  readonly domain: Shape;
  /** Output shape. */
  readonly range: Shape;
  private readonly theta: Float64Array;
  private readonly pieces: Float64Array[];
  private readonly slotCache = new WeakMap<Float64Array, GradSlots>();

  /** @param combination the combination (with at least one parametric leaf) */
  constructor(readonly combination: Combinator) {
    this.domain = combination.domain;
    this.range = combination.range;
    this.pieces = combination.leaves.map((l) => new Float64Array(l.params.length));
    this.theta = new Float64Array(this.pieces.reduce((s, p) => s + p.length, 0));
  }

  /** The parts of the combination. */
  get parts(): readonly LinearOperator[] {
    return this.combination.parts;
  }

  /** The unique parametric leaves, whose parameters are concatenated in `params`. */
  get leaves(): readonly ParametricOperator[] {
    return this.combination.leaves;
  }

  /**
   * The concatenated parameters of the leaves, refreshed on every read (a snapshot in an
   * owned buffer: writing into it changes nothing; use `setParams`).
   */
  get params(): Float64Array {
    let o = 0;
    for (const l of this.combination.leaves) {
      this.theta.set(l.params, o);
      o += l.params.length;
    }
    return this.theta;
  }

  /** `out = K x`. */
  apply(x: Vec, out: Vec): Vec {
    return this.combination.apply(x, out);
  }

  /** `out = Kᵀ y`. */
  adjoint(y: Vec, out: Vec): Vec {
    return this.combination.adjoint(y, out);
  }

  /** See {@link Combinator.norm}. */
  norm(): OperatorNorm {
    return this.combination.norm();
  }

  /** `<LeafClass>#<k>.<leaf parameter name>` for every parameter. */
  paramNames(): readonly string[] {
    return this.combination.leaves.flatMap((l, k) => l.paramNames().map((n) => `${l.constructor.name}#${k}.${n}`));
  }

  /** Split `θ` into the leaves' blocks and forward them to the leaves' `setParams`. */
  setParams(theta: ArrayLike<number>): void {
    checkParams('combination', theta, this.theta.length);
    let o = 0;
    this.combination.leaves.forEach((l, k) => {
      const piece = this.pieces[k]!;
      for (let i = 0; i < piece.length; i++) piece[i] = theta[o + i]!;
      o += piece.length;
      l.setParams(piece);
    });
  }

  /**
   * `C = √(Σ_ℓ c_ℓ²)` with `c_ℓ` the leaves' constants propagated through the combination
   * (composition multiplies by the norm of the other factor, scaling by `|α|`), so that
   * `‖∇θ⟨K x, y⟩‖ ≤ C‖x‖‖y‖`; norms of kind `estimate` enter with a safety factor 1.01.
   */
  paramVjpBound(): number {
    let s = 0;
    for (const c of this.combination.leafBounds().values()) s += c * c;
    return Math.sqrt(s);
  }

  /** `grad += scale·∇θ⟨K x, y⟩`, routed to each leaf's slice of `grad`. */
  paramVjp(x: Vec, y: Vec, grad: Float64Array, scale = 1): void {
    checkVjpCall('combination', x, this.domain, y, this.range, grad, this.theta.length);
    let slots = this.slotCache.get(grad);
    if (slots === undefined) {
      slots = new Map();
      let o = 0;
      for (const l of this.combination.leaves) {
        slots.set(l, grad.subarray(o, o + l.params.length));
        o += l.params.length;
      }
      this.slotCache.set(grad, slots);
    }
    this.combination.accumulateVjp(x, y, scale, slots);
  }
}

/**
 * A combination of operators: `ParametricOperator` if any of `T` is one, else
 * `LinearOperator` (at run time, test with `isParametricOperator` from `@bilevel/core`); in both
 * cases with a `norm()` (see {@link Combinator.norm}).
 */
export type Combined<T extends readonly LinearOperator[]> = ([Extract<T[number], ParametricOperator>] extends [never]
  ? LinearOperator
  : ParametricOperator) &
  Required<Pick<LinearOperator, 'norm'>>;

function finish<T extends readonly LinearOperator[]>(c: Combinator): Combined<T> {
  return (c.leaves.length > 0 ? new ParametricCombinator(c) : c) as Combined<T>;
}

// ---------------------------------------------------------------------------------------------

/**
 * `A ∘ B: x ↦ A(B x)`, adjoint `Bᵀ Aᵀ`. Parameter derivative: w.r.t. `A`'s parameters at
 * `(Bx, y)` and w.r.t. `B`'s at `(x, Aᵀy)`, since `⟨A B x, y⟩ = ⟨A (Bx), y⟩ = ⟨B x, Aᵀy⟩`.
 * Norm: `‖A‖·‖B‖` (upper bound). `out` may alias `x`. One workspace of `|B.range|` entries.
 */
export class Composition extends Combinator {
  /** `A`, applied second. */
  readonly outer: LinearOperator;
  /** `B`, applied first. */
  readonly inner: LinearOperator;
  private readonly work: Float64Array;

  /** @internal use {@link compose} */
  constructor(outer: LinearOperator, inner: LinearOperator) {
    super([outer, inner], inner.domain, outer.range);
    this.outer = outer;
    this.inner = inner;
    const mid = shapeSize(inner.range);
    if (mid !== shapeSize(outer.domain)) {
      throw new ShapeError(
        `compose(A, B): A.domain ${formatShape(outer.domain)} does not match B.range ${formatShape(inner.range)} (A = ${describe(outer)}, B = ${describe(inner)})`,
      );
    }
    this.work = new Float64Array(mid);
  }

  /** `out = A(B x)`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall('compose.apply', x, this.domain, this.n, out, this.range, this.m, true);
    this.inner.apply(x, this.work);
    return this.outer.apply(this.work, out);
  }

  /** `out = Bᵀ(Aᵀ y)`. */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('compose.adjoint', y, this.range, this.m, out, this.domain, this.n, true);
    this.outer.adjoint(y, this.work);
    return this.inner.adjoint(this.work, out);
  }

  /** @internal */
  accumulateVjp(x: Vec, y: Vec, scale: number, slots: GradSlots): void {
    if (isParametricOperator(this.outer)) {
      this.inner.apply(x, this.work);
      vjpPart(this.outer, this.work, y, scale, slots);
    }
    if (isParametricOperator(this.inner)) {
      this.outer.adjoint(y, this.work);
      vjpPart(this.inner, x, this.work, scale, slots);
    }
  }

  protected combineNorms(norms: readonly OperatorNorm[]): OperatorNorm | undefined {
    return provable(norms) ? { value: norms[0]!.value * norms[1]!.value, kind: 'upper-bound' } : undefined;
  }

  /** `A`'s leaves at `(Bx, y)` scale by `‖B‖`, `B`'s leaves at `(x, Aᵀy)` by `‖A‖`. @internal */
  override leafBounds(): LeafBounds {
    const b: LeafBounds = new Map();
    const outer = leafBoundsOf(this.outer);
    const inner = leafBoundsOf(this.inner);
    if (outer.size > 0) addBounds(b, outer, normBound(this.inner));
    if (inner.size > 0) addBounds(b, inner, normBound(this.outer));
    return b;
  }
}

/**
 * `A + B + …` on a common domain and range (sizes must agree; shapes are taken from `A`).
 * Adjoint `Aᵀ + Bᵀ + …`; parameter derivatives of every part at `(x, y)`. Norm: `Σ‖·‖` (upper
 * bound). `out` must not alias `x`. Workspaces of `|domain|` and `|range|` entries.
 */
export class Sum extends Combinator {
  private readonly workIn: Float64Array;
  private readonly workOut: Float64Array;

  /** @internal use {@link sum} (domain and range: those of the first part) */
  constructor(parts: readonly LinearOperator[]) {
    super(parts, parts[0]!.domain, parts[0]!.range);
    checkCommonSizes('sum', parts, true);
    this.workIn = new Float64Array(this.n);
    this.workOut = new Float64Array(this.m);
  }

  /** `out = Σ_k P_k x`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall('sum.apply', x, this.domain, this.n, out, this.range, this.m, false);
    return sumOfParts(this.parts, 'apply', x, this.m, this.workOut, out);
  }

  /** `out = Σ_k P_kᵀ y`. */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('sum.adjoint', y, this.range, this.m, out, this.domain, this.n, false);
    return sumOfParts(this.parts, 'adjoint', y, this.n, this.workIn, out);
  }

  /** @internal */
  accumulateVjp(x: Vec, y: Vec, scale: number, slots: GradSlots): void {
    for (const p of this.parts) vjpPart(p, x, y, scale, slots);
  }

  protected combineNorms(norms: readonly OperatorNorm[]): OperatorNorm | undefined {
    return provable(norms) ? { value: norms.reduce((s, n) => s + n.value, 0), kind: 'upper-bound' } : undefined;
  }
}

/**
 * `α·A` for a fixed factor `α` (for a learnable factor compose with `ScalarMultiple`). Adjoint
 * `α·Aᵀ`; parameter derivative `α·∇θ⟨A x, y⟩`. Norm `|α|·‖A‖` with the kind of `‖A‖`.
 * Aliasing as allowed by `A`.
 */
export class Scaled extends Combinator {
  /** The fixed factor `α`. */
  readonly alpha: number;
  /** The operator `A`. */
  readonly operator: LinearOperator;

  /** @internal use {@link scaled} */
  constructor(alpha: number, operator: LinearOperator) {
    super([operator], operator.domain, operator.range);
    this.alpha = alpha;
    this.operator = operator;
    parseOptions(z.strictObject({ alpha: finite }), { alpha }, 'scaled');
  }

  /** `out = α A x`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall('scaled.apply', x, this.domain, this.n, out, this.range, this.m, true);
    this.operator.apply(x, out);
    for (let i = 0; i < this.m; i++) out[i] = this.alpha * out[i]!;
    return out;
  }

  /** `out = α Aᵀ y`. */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('scaled.adjoint', y, this.range, this.m, out, this.domain, this.n, true);
    this.operator.adjoint(y, out);
    for (let i = 0; i < this.n; i++) out[i] = this.alpha * out[i]!;
    return out;
  }

  /** @internal */
  accumulateVjp(x: Vec, y: Vec, scale: number, slots: GradSlots): void {
    vjpPart(this.operator, x, y, scale * this.alpha, slots);
  }

  /** `|α|` times the constants of `A`'s leaves. @internal */
  override leafBounds(): LeafBounds {
    return addBounds(new Map(), leafBoundsOf(this.operator), Math.abs(this.alpha));
  }

  /** `|α|·‖A‖` with the kind of `‖A‖` (a power iteration if `A` has no `norm`). */
  protected combineNorms(norms: readonly OperatorNorm[]): OperatorNorm | undefined {
    const n = norms[0]!;
    return { value: Math.abs(this.alpha) * n.value, kind: n.kind };
  }
}

function offsetsOf(sizes: readonly number[]): number[] {
  const o = [0];
  for (const s of sizes) o.push(o[o.length - 1]! + s);
  return o;
}

/**
 * The vertical stack (block column) `x ↦ (A x, B x, …)` with flat range `[Σ|range_k|]`.
 * Adjoint `(y_A, y_B, …) ↦ Aᵀy_A + Bᵀy_B + …`; parameter derivatives of each part at
 * `(x, y_k)`. Norm `√(Σ‖·‖²)` (upper bound, since `‖Kx‖² = Σ‖P_k x‖²`). `out` must not alias `x`.
 */
export class VStack extends Combinator {
  private readonly rows: Segments;
  private readonly work: Float64Array;

  /** @internal use {@link vstack} (domain: that of the first part; range `[Σ_k |range_k|]`) */
  constructor(parts: readonly LinearOperator[]) {
    const offsets = offsetsOf(parts.map((p) => shapeSize(p.range)));
    super(parts, parts[0]!.domain, Object.freeze([offsets[offsets.length - 1]!]));
    checkCommonSizes('vstack', parts, false);
    this.rows = new Segments(offsets);
    this.work = new Float64Array(this.n);
  }

  /** `out = (P_0 x, P_1 x, …)`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall('vstack.apply', x, this.domain, this.n, out, this.range, this.m, false);
    const o = this.rows.of(out);
    for (let k = 0; k < this.parts.length; k++) this.parts[k]!.apply(x, o[k]!);
    return out;
  }

  /** `out = Σ_k P_kᵀ y_k`. */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('vstack.adjoint', y, this.range, this.m, out, this.domain, this.n, false);
    return sumOfParts(this.parts, 'adjoint', this.rows.of(y), this.n, this.work, out);
  }

  /** @internal */
  accumulateVjp(x: Vec, y: Vec, scale: number, slots: GradSlots): void {
    const v = this.rows.of(y);
    for (let k = 0; k < this.parts.length; k++) vjpPart(this.parts[k]!, x, v[k]!, scale, slots);
  }

  protected combineNorms(norms: readonly OperatorNorm[]): OperatorNorm | undefined {
    if (!provable(norms)) return undefined;
    if (norms.length === 1) return norms[0];
    return { value: Math.sqrt(norms.reduce((s, n) => s + n.value * n.value, 0)), kind: 'upper-bound' };
  }
}

/**
 * The block-diagonal operator `(x_0, x_1, …) ↦ (P_0 x_0, P_1 x_1, …)` on flat vectors, domain
 * `[Σ|domain_k|]`, range `[Σ|range_k|]`. Adjoint blockwise; parameter derivatives of each part
 * at `(x_k, y_k)`. Norm `max_k ‖P_k‖` (exact if every part's is, else an upper bound). `out` must
 * not alias `x`.
 */
export class BlockDiag extends Combinator {
  private readonly cols: Segments;
  private readonly rows: Segments;

  /** @internal use {@link blockDiag} (domain `[Σ_k |domain_k|]`, range `[Σ_k |range_k|]`) */
  constructor(parts: readonly LinearOperator[]) {
    const dOff = offsetsOf(parts.map((p) => shapeSize(p.domain)));
    const rOff = offsetsOf(parts.map((p) => shapeSize(p.range)));
    super(parts, Object.freeze([dOff[dOff.length - 1]!]), Object.freeze([rOff[rOff.length - 1]!]));
    this.cols = new Segments(dOff);
    this.rows = new Segments(rOff);
  }

  /** `out_k = P_k x_k`. */
  apply(x: Vec, out: Vec): Vec {
    checkCall('blockDiag.apply', x, this.domain, this.n, out, this.range, this.m, false);
    this.blockwise('apply', this.cols.of(x), this.rows.of(out));
    return out;
  }

  /** `out_k = P_kᵀ y_k`. */
  adjoint(y: Vec, out: Vec): Vec {
    checkCall('blockDiag.adjoint', y, this.range, this.m, out, this.domain, this.n, false);
    this.blockwise('adjoint', this.rows.of(y), this.cols.of(out));
    return out;
  }

  /** `outs[k] = P_k(vs[k])` for every block, with `P_k` the `apply` or the `adjoint` of part `k`. */
  private blockwise(method: 'apply' | 'adjoint', vs: readonly Vec[], outs: readonly Vec[]): void {
    for (let k = 0; k < this.parts.length; k++) this.parts[k]![method](vs[k]!, outs[k]!);
  }

  /** @internal */
  accumulateVjp(x: Vec, y: Vec, scale: number, slots: GradSlots): void {
    const xs = this.cols.of(x);
    const ys = this.rows.of(y);
    for (let k = 0; k < this.parts.length; k++) vjpPart(this.parts[k]!, xs[k]!, ys[k]!, scale, slots);
  }

  protected combineNorms(norms: readonly OperatorNorm[]): OperatorNorm | undefined {
    if (!provable(norms)) return undefined;
    const value = Math.max(...norms.map((n) => n.value));
    return { value, kind: norms.every((n) => n.kind === 'exact') ? 'exact' : 'upper-bound' };
  }
}

/**
 * The transpose `Aᵀ` as an operator: `apply = A.adjoint`, `adjoint = A.apply`. Parameter
 * derivative `∇θ⟨Aᵀx, y⟩ = ∇θ⟨A y, x⟩`. Norm `‖Aᵀ‖ = ‖A‖` (same kind). Aliasing as allowed
 * by `A`.
 */
export class Transpose extends Combinator {
  /** The operator `A` whose transpose this is. */
  readonly operator: LinearOperator;

  /** @internal use {@link transpose} (domain `A.range`, range `A.domain`) */
  constructor(operator: LinearOperator) {
    super([operator], operator.range, operator.domain);
    this.operator = operator;
  }

  /** `out = Aᵀ x`. */
  apply(x: Vec, out: Vec): Vec {
    return this.operator.adjoint(x, out);
  }

  /** `out = A y`. */
  adjoint(y: Vec, out: Vec): Vec {
    return this.operator.apply(y, out);
  }

  /** @internal */
  accumulateVjp(x: Vec, y: Vec, scale: number, slots: GradSlots): void {
    vjpPart(this.operator, y, x, scale, slots);
  }

  protected combineNorms(norms: readonly OperatorNorm[]): OperatorNorm | undefined {
    return norms[0];
  }
}

// ---------------------------------------------------------------------------------------------

function nonEmpty(what: string, parts: readonly LinearOperator[]): void {
  if (parts.length === 0) throw new ValidationError(`${what}: needs at least one operator, got an empty list`);
}

/** `A ∘ B: x ↦ A(B x)` (see {@link Composition}); `|A.domain|` must equal `|B.range|`. */
export function compose<A extends LinearOperator, B extends LinearOperator>(A: A, B: B): Combined<[A, B]> {
  return finish<[A, B]>(new Composition(A, B));
}

/** `A + B + …` (see {@link Sum}); all parts share the domain and range sizes. */
export function sum<A extends LinearOperator, B extends LinearOperator, T extends readonly LinearOperator[]>(
  A: A,
  B: B,
  ...more: T
): Combined<[A, B, ...T]> {
  return finish<[A, B, ...T]>(new Sum([A, B, ...more]));
}

/** `α·A` for a fixed, finite `α` (see {@link Scaled}). */
export function scaled<A extends LinearOperator>(alpha: number, A: A): Combined<[A]> {
  return finish<[A]>(new Scaled(alpha, A));
}

/** `x ↦ (A x, B x, …)` with flat range (see {@link VStack}); all parts share the domain size. */
export function vstack<T extends readonly LinearOperator[]>(parts: T): Combined<T> {
  nonEmpty('vstack', parts);
  return finish<T>(new VStack(parts));
}

/** `(x_0, x_1, …) ↦ (A x_0, B x_1, …)` on flat vectors (see {@link BlockDiag}). */
export function blockDiag<T extends readonly LinearOperator[]>(parts: T): Combined<T> {
  nonEmpty('blockDiag', parts);
  return finish<T>(new BlockDiag(parts));
}

/** `Aᵀ` as an operator (see {@link Transpose}). */
export function transpose<A extends LinearOperator>(A: A): Combined<[A]> {
  return finish<[A]>(new Transpose(A));
}
