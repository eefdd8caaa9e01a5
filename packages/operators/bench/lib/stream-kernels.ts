// The STREAM kernels (McCalpin) as scalar JavaScript loops on Float64Array, shared by the
// benches: `stream.ts` times them alone, `gradient.ts` compares the gradient pair with the
// triad. In a subfolder so the bench runner (every bench/*.ts) does not run it on its own.

/** `a = b`. */
export function copy(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = b[i]!;
}

/** `a = s·b`. */
export function scale(a: Float64Array, b: Float64Array, s: number): void {
  for (let i = 0; i < a.length; i++) a[i] = s * b[i]!;
}

/** `a = b + c`. */
export function add(a: Float64Array, b: Float64Array, c: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = b[i]! + c[i]!;
}

/** `a = b + s·c`. */
export function triad(a: Float64Array, b: Float64Array, c: Float64Array, s: number): void {
  for (let i = 0; i < a.length; i++) a[i] = b[i]! + s * c[i]!;
}

/** `a = b + s·c`, unrolled by 4 as the gradient loops are. */
export function triad4(a: Float64Array, b: Float64Array, c: Float64Array, s: number): void {
  const n = a.length;
  let i = 0;
  for (; i + 3 < n; i += 4) {
    a[i] = b[i]! + s * c[i]!;
    a[i + 1] = b[i + 1]! + s * c[i + 1]!;
    a[i + 2] = b[i + 2]! + s * c[i + 2]!;
    a[i + 3] = b[i + 3]! + s * c[i + 3]!;
  }
  for (; i < n; i++) a[i] = b[i]! + s * c[i]!;
}
