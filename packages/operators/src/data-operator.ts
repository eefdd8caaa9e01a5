/**
 * Per-sample data operators as data: the forward operator `A_i` of a training sample
 * (`g_i(x) = ½‖A_i x − b_i‖² + (μ/2)‖x‖²`) described by plain values — the identity
 * (denoising), a fixed 2-D convolution (a blur with its kernel and boundary rule) or a pixel mask
 * (inpainting) — so that a worker thread or a worker on another machine rebuilds the same
 * operator, bit for bit, from what it was sent.
 * @module
 */
import { ValidationError, parseOrThrow, shapeSize, vecSchema, z, type LinearOperator, type Shape } from '@bilevel/core';
import type { ConvBoundary } from './boundary.js';
import { Convolution2D } from './convolution.js';
import { Mask } from './sampling.js';

/** The boundary rules of a convolution data operator (those of `Convolution2D`). */
const boundaries = ['zero', 'symmetric', 'reflect', 'periodic'] as const satisfies readonly ConvBoundary[];

/**
 * A data operator as data:
 * - `identity`: `A = I` (denoising);
 * - `convolution`: `(A x)[c, p] = Σ_q k[q]·x̃[c, p + q]` on each channel, `x̃` the boundary
 *   extension (`Convolution2D` of `@bilevel/operators`), kernel row-major `kh×kw`;
 * - `mask`: `(A x)_i = m_i x_i` (`Mask`), one weight per entry of the image.
 */
export type DataOperatorSpec =
  | { readonly kind: 'identity' }
  | {
      readonly kind: 'convolution';
      /** The kernel, row-major. */
      readonly kernel: Float64Array;
      /** `k` for `k×k` or `[kh, kw]`, odd (default: the square root of the kernel length). */
      readonly kernelSize?: number | readonly [number, number];
      /** Boundary rule (default `zero`). */
      readonly boundary?: ConvBoundary;
    }
  | {
      readonly kind: 'mask';
      /** One weight per image entry (1 = observed). */
      readonly mask: Float64Array;
    };

const oddInt = z.number().int().positive().refine((v) => v % 2 === 1, 'must be odd');

/** zod schema of a {@link DataOperatorSpec} (unknown keys are rejected). */
export const dataOperatorSpecSchema: z.ZodType<DataOperatorSpec> = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('identity') }),
  z.strictObject({
    kind: z.literal('convolution'),
    kernel: vecSchema,
    kernelSize: z.union([oddInt, z.tuple([oddInt, oddInt])]).optional(),
    boundary: z.enum(boundaries).optional(),
  }),
  z.strictObject({ kind: z.literal('mask'), mask: vecSchema }),
]);

/**
 * The operator of `spec` on images of `shape` `[C, H, W]`; `undefined` for the identity (the
 * training set's default, so both give the same data term bit for bit).
 */
export function dataOperator(spec: DataOperatorSpec, shape: Shape): LinearOperator | undefined {
  const s = parseOrThrow(dataOperatorSpecSchema, spec, 'data operator');
  switch (s.kind) {
    case 'identity':
      return undefined;
    case 'convolution': {
      const [channels, height, width] = shape;
      if (shape.length !== 3 || channels === undefined || height === undefined || width === undefined) {
        throw new ValidationError(`data operator: a convolution needs an image shape [C, H, W], got [${shape.join(', ')}]`);
      }
      return new Convolution2D({
        channels,
        height,
        width,
        kernel: s.kernel,
        ...(s.kernelSize !== undefined ? { kernelSize: s.kernelSize as number | [number, number] } : {}),
        ...(s.boundary !== undefined ? { boundary: s.boundary } : {}),
      });
    }
    case 'mask':
      if (s.mask.length !== shapeSize(shape)) {
        throw new ValidationError(`data operator: the mask has ${s.mask.length} entries, the image [${shape.join(', ')}] has ${shapeSize(shape)}`);
      }
      return new Mask(shape, s.mask);
  }
}
