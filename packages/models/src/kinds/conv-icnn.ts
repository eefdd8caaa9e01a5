/**
 * `conv-icnn`: a convolutional input-convex neural network,
 * `R_θ(x) = Σ_m a_m Σ_p h_{ω₁}((W_A ⋆ σ(W₀x + b₀))_{m,p} + b₁_m)` with a nonnegative hidden filter
 * bank `W_A` (`F → M` channels, `k₁×k₁`) summed over pixels: translation-invariant, so θ does not
 * depend on the image size and a model learned on small crops applies to any image
 * (docs/math/icnn.md#convolutional-hidden-layer). Saddle form by the epigraph lifting of the
 * `icnn` kind (its network, model, initialisation and TV-like start):
 * `K_θ(x, z) = (W₀x, z, W_A ⋆ z)`, θ = `[W₀; W_A]` with `W_A ≥ 0` kept by a projection.
 * @module
 */
import { ValidationError, z, type Shape } from '@bilevel/core';
import { thetaLayout, type ThetaLayout } from '../layout.js';
import { defineModelKind } from '../registry.js';
import { oddSize } from '../schemas.js';
import { icnnInit, icnnInitialTheta, icnnModel, icnnNetwork, icnnReport, icnnSharedOptions } from './icnn.js';

const options = icnnSharedOptions.extend({
  hiddenFilterSize: oddSize.default(3).describe('Side of the hidden layer’s (square, odd) nonnegative kernels.'),
  channels: z.number().int('must be an integer').min(1, 'must be ≥ 1').max(4, 'must be ≤ 4').default(1).describe('Image channels the first layer’s filters span: 1 (gray) or 3 (colour).'),
});

type ConvIcnnOptions = z.output<typeof options>;

function network(o: ConvIcnnOptions, shape: Shape, seed = 0) {
  if (shape[0] !== o.channels) {
    throw new ValidationError(`conv-icnn model: its filters span ${o.channels} channel(s) (option channels) but the images have ${shape[0]}; use channels: ${shape[0]}, or images with ${o.channels} channel(s)`);
  }
  return icnnNetwork(o, shape, seed, { hidden: 'convolutional', hiddenKernelSize: o.hiddenFilterSize });
}

/** `[W₀ (F·C·k²), W_A (M·F·k₁²)]`, whatever the image size. */
function layoutOf(o: ConvIcnnOptions): ThetaLayout {
  const k = o.filterSize;
  const k1 = o.hiddenFilterSize;
  const name = (prefix: string, per: number, side: number) => (i: number) =>
    `${prefix}[${Math.floor(i / per)}][${Math.floor((i % per) / (side * side))}][${Math.floor((i % (side * side)) / side)},${i % side}]`;
  return thetaLayout([
    { name: 'kernels', size: o.filters * o.channels * k * k, link: 'identity', description: 'W₀: the first layer’s filters', entry: name('W0', o.channels * k * k, k) },
    { name: 'hidden', size: o.units * o.filters * k1 * k1, link: 'identity', description: 'W_A ≥ 0: the convolutional hidden layer', entry: name('WA', o.filters * k1 * k1, k1) },
  ]);
}

/** The `conv-icnn` kind. */
export const convIcnn = defineModelKind({
  kind: 'conv-icnn',
  summary: 'convolutional input-convex neural network (translation-invariant, θ independent of the image size), saddle form by the epigraph lifting (piggyback)',
  options,
  init: icnnInit,
  layout: layoutOf,
  initialTheta: (o, init, { seed, shape }) => icnnInitialTheta('conv-icnn', network(o, shape, seed), init),
  build: (o, shape) => icnnModel(network(o, shape), o, layoutOf(o), 'conv-icnn'),
  report: (_o, theta) => icnnReport(theta),
});
