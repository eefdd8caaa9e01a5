/**
 * Flat parameter vectors with named blocks, and the exp reparametrisation of positive
 * parameters (MAID / ISGD keep `log` of every positive weight, arXiv 2308.10098 and
 * arXiv 2412.12049 code; docs/math/regularizers.md#exp-reparametrisation).
 * @module
 */
import { ValidationError, parseOrThrow, z } from '@bilevel/core';

/** Declaration of one named block: its shape (or length). */
export interface ParamBlockSpec {
  /** Unique block name, e.g. `'filters'`, `'logWeight'`. */
  readonly name: string;
  /** Block shape (row-major) or plain length. */
  readonly shape: readonly number[] | number;
}

/** A named block of θ: `theta.subarray(offset, offset + length)`. */
export interface ParamBlock {
  /** Block name. */
  readonly name: string;
  /** Index of the first entry in θ. */
  readonly offset: number;
  /** Number of entries, `Π shape`. */
  readonly length: number;
  /** Block shape (row-major). */
  readonly shape: readonly number[];
}

const specSchema = z.array(
  z.strictObject({
    name: z.string().min(1, 'block name must be a non-empty string'),
    shape: z.union([z.number().int().positive(), z.array(z.number().int().positive()).min(1)]),
  }),
);

/**
 * Layout of a flat parameter vector θ as consecutive named blocks (offsets in declaration
 * order). Optimizers see only the flat θ; models and projections address blocks by name.
 */
export class ParamLayout {
  /** The blocks in declaration order. */
  readonly blocks: readonly ParamBlock[];
  /** Total length of θ, `Σ lengths`. */
  readonly size: number;
  private readonly byName: ReadonlyMap<string, ParamBlock>;

  /** Build a layout from block specs; throws a `ValidationError` on duplicates or bad shapes. */
  constructor(specs: readonly ParamBlockSpec[]) {
    parseOrThrow(specSchema, specs, 'parameter layout');
    const blocks: ParamBlock[] = [];
    const byName = new Map<string, ParamBlock>();
    let offset = 0;
    for (const s of specs) {
      if (byName.has(s.name)) throw new ValidationError(`parameter layout: duplicate block name '${s.name}'`);
      const shape = typeof s.shape === 'number' ? [s.shape] : [...s.shape];
      const length = shape.reduce((a, b) => a * b, 1);
      const b: ParamBlock = { name: s.name, offset, length, shape };
      blocks.push(b);
      byName.set(s.name, b);
      offset += length;
    }
    this.blocks = blocks;
    this.size = offset;
    this.byName = byName;
  }

  /** The block called `name`; throws a `ValidationError` listing the known names otherwise. */
  block(name: string): ParamBlock {
    const b = this.byName.get(name);
    if (!b) throw new ValidationError(`parameter layout: no block '${name}' (blocks: ${[...this.byName.keys()].join(', ')})`);
    return b;
  }

  /** A view (aliasing `theta`) of block `name`. */
  view(theta: Float64Array, name: string): Float64Array {
    this.checkLength(theta);
    const b = this.block(name);
    return theta.subarray(b.offset, b.offset + b.length);
  }

  /** `theta[block] ← values` in place; returns `theta`. */
  set(theta: Float64Array, name: string, values: ArrayLike<number>): Float64Array {
    const b = this.block(name);
    if (values.length !== b.length) throw new ValidationError(`block '${name}': expected ${b.length} values, got ${values.length}`);
    this.view(theta, name).set(values);
    return theta;
  }

  /** A new θ from per-block values (every block must be given). */
  pack(values: Readonly<Record<string, ArrayLike<number> | number>>): Float64Array {
    const theta = new Float64Array(this.size);
    for (const b of this.blocks) {
      const v = values[b.name];
      if (v === undefined) throw new ValidationError(`pack: missing block '${b.name}'`);
      if (typeof v === 'number') theta.fill(v, b.offset, b.offset + b.length);
      else this.set(theta, b.name, v);
    }
    for (const k of Object.keys(values)) this.block(k);
    return theta;
  }

  /** Copies of every block of θ, keyed by name. */
  unpack(theta: Float64Array): Record<string, Float64Array> {
    this.checkLength(theta);
    const out: Record<string, Float64Array> = {};
    for (const b of this.blocks) out[b.name] = theta.slice(b.offset, b.offset + b.length);
    return out;
  }

  /** Throw a `ValidationError` unless `theta.length === size`. */
  checkLength(theta: ArrayLike<number>): void {
    if (theta.length !== this.size) throw new ValidationError(`theta: expected length ${this.size} (parameter layout), got ${theta.length}`);
  }
}

/** Shorthand for `new ParamLayout(specs)`. */
export function paramLayout(specs: readonly ParamBlockSpec[]): ParamLayout {
  return new ParamLayout(specs);
}

/**
 * The exp reparametrisation of the named blocks: the optimizer works on θ, the model on the
 * physical parameters `p = exp(θ)` on those blocks (identity elsewhere), so positivity holds
 * without projection (docs/math/regularizers.md#exp-reparametrisation). Chain rule: `∂L/∂θ = exp(θ) ⊙ ∂L/∂p`.
 */
export interface ExpReparam {
  /** The layout the reparametrisation acts on. */
  readonly layout: ParamLayout;
  /** Names of the exp-parametrised blocks. */
  readonly blocks: readonly string[];
  /** `out ← p(θ)`: `exp(θ)` on the blocks, `θ` elsewhere (`out` may alias `theta`). */
  toPhysical(theta: Float64Array, out?: Float64Array): Float64Array;
  /** `out ← θ(p)`: `log(p)` on the blocks (entries must be `> 0`), `p` elsewhere (`out` may alias). */
  toRaw(physical: Float64Array, out?: Float64Array): Float64Array;
  /** `out ← ∂L/∂θ = exp(θ) ⊙ ∂L/∂p` on the blocks, `∂L/∂p` elsewhere (`out` may alias `gradPhysical`). */
  pullback(theta: Float64Array, gradPhysical: Float64Array, out?: Float64Array): Float64Array;
}

/** {@link ExpReparam} of the named blocks of `layout`. */
export function expReparam(layout: ParamLayout, blocks: readonly string[]): ExpReparam {
  const sel = blocks.map((n) => layout.block(n));
  const prep = (x: Float64Array, out: Float64Array | undefined, name: string): Float64Array => {
    layout.checkLength(x);
    if (out === undefined) return x.slice();
    if (out.length !== layout.size) throw new ValidationError(`${name}: out must have length ${layout.size}`);
    if (out !== x) out.set(x);
    return out;
  };
  return {
    layout,
    blocks: [...blocks],
    toPhysical(theta, out) {
      const o = prep(theta, out, 'toPhysical');
      for (const b of sel) for (let i = b.offset; i < b.offset + b.length; i++) o[i] = Math.exp(o[i]!);
      return o;
    },
    toRaw(physical, out) {
      for (const b of sel) {
        for (let i = b.offset; i < b.offset + b.length; i++) {
          if (!(physical[i]! > 0)) throw new ValidationError(`toRaw: block '${b.name}' entry ${i - b.offset} is ${physical[i]} (exp-parametrised values must be > 0)`);
        }
      }
      const o = prep(physical, out, 'toRaw');
      for (const b of sel) for (let i = b.offset; i < b.offset + b.length; i++) o[i] = Math.log(o[i]!);
      return o;
    },
    pullback(theta, gradPhysical, out) {
      layout.checkLength(theta);
      if (out === theta) throw new ValidationError('pullback: out must not alias theta');
      const o = prep(gradPhysical, out, 'pullback');
      for (const b of sel) for (let i = b.offset; i < b.offset + b.length; i++) o[i] = o[i]! * Math.exp(theta[i]!);
      return o;
    },
  };
}
