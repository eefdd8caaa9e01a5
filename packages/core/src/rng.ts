/**
 * Seeded random numbers (xoroshiro128+ from the `pure-rand` package) with serialisable state,
 * so data splits, noise, initialisations and minibatches are reproducible and checkpoints
 * resume the exact same stream.
 * @module
 */
import { xoroshiro128plus, xoroshiro128plusFromState } from 'pure-rand/generator/xoroshiro128plus';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { RandomGenerator } from 'pure-rand/types/RandomGenerator';
import type { Vec } from './vec.js';

/** Serialisable state of an {@link Rng}: the generator words and a cached normal deviate. */
export interface RngState {
  /** Internal words of the xoroshiro128+ generator. */
  readonly words: readonly number[];
  /** The second deviate of the last Box–Muller pair, if not yet used. */
  readonly spareNormal: number | null;
}

/** A seeded pseudo-random stream (xoroshiro128+). */
export class Rng {
  private spare: number | null = null;

  private constructor(private gen: RandomGenerator) {}

  /** A stream determined by an integer `seed`. */
  static seeded(seed: number): Rng {
    return new Rng(xoroshiro128plus(seed | 0));
  }

  /** Resume a stream from {@link Rng.state}. */
  static fromState(state: RngState): Rng {
    const r = new Rng(xoroshiro128plusFromState(state.words));
    r.spare = state.spareNormal;
    return r;
  }

  /** The current state, to resume the same stream later. */
  state(): RngState {
    return { words: [...this.gen.getState()], spareNormal: this.spare };
  }

  /** An independent copy that continues the same stream. */
  clone(): Rng {
    return Rng.fromState(this.state());
  }

  /** Uniform on `[0, 1)` with 53 random bits. */
  uniform(): number {
    return uniformFloat64(this.gen);
  }

  /** Uniform integer on `{lo, …, hi}` (both included). */
  int(lo: number, hi: number): number {
    return uniformInt(this.gen, lo, hi);
  }

  /** Standard normal deviate (Marsaglia's polar Box–Muller). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u: number;
    let v: number;
    let s: number;
    do {
      u = 2 * this.uniform() - 1;
      v = 2 * this.uniform() - 1;
      s = u * u + v * v;
    } while (s >= 1 || s === 0);
    const f = Math.sqrt((-2 * Math.log(s)) / s);
    this.spare = v * f;
    return u * f;
  }

  /** Fill `out` with `N(mean, std²)` deviates. */
  fillNormal(out: Vec, mean = 0, std = 1): Vec {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Fill `out` with uniform deviates on `[lo, hi)`. */
  fillUniform(out: Vec, lo = 0, hi = 1): Vec {
    for (let i = 0; i < out.length; i++) out[i] = lo + (hi - lo) * this.uniform();
    return out;
  }

  /** A new vector of `n` standard normal deviates. */
  normalVec(n: number): Vec {
    return this.fillNormal(new Float64Array(n));
  }

  /** Shuffle `a` in place (Fisher–Yates) and return it. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const t = a[i]!;
      a[i] = a[j]!;
      a[j] = t;
    }
    return a;
  }

  /** A uniformly random permutation of `0 … n−1`. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }
}
