/**
 * `bilevel denoise` / `bilevel deblur` / `bilevel inpaint`: apply a learned model to an image file
 * (and, to inpaint, a mask file), converting honestly: the output encoding follows its extension,
 * 16-bit PNGs stay 16-bit, an alpha channel is kept (or JPEG output refused), gray stays gray,
 * and no input is overwritten without `--force`.
 * @module
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '@bilevel/core';
import {
  BT601_WEIGHTS,
  dropAlpha,
  fitMaxSide,
  forwardOperator,
  getChannel,
  imageFormatOfPath,
  imageShape,
  maskedSample,
  type Image,
  type ImageFormat,
} from '@bilevel/imaging';
import { readImageWithInfo, writeImage } from '@bilevel/imaging/node';
import { loadLearnedModel, type ModelTask } from './model-source.js';
import { reconstructModel } from './wiring/problem.js';
import { stdoutLine } from './run/output.js';

/** Options of {@link applyModel}. */
export interface ApplyOptions {
  /** The run directory of `bilevel train`, or a model JSON file (the registry's model data with `meta`). */
  readonly model: string;
  /** Input image (PNG or JPEG, recognised by its signature). */
  readonly input: string;
  /** Output image: `.png` or `.jpg`/`.jpeg` (the extension chooses the encoding). */
  readonly output: string;
  /** `denoise`, `deblur` or `inpaint`: must match what the model was trained for. */
  readonly task: ModelTask;
  /** The mask of `inpaint` (and only of it): an image file of the input's size, white = known (see {@link readMask}). */
  readonly mask?: string;
  /** `inpaint`: black marks the known pixels instead of white. */
  readonly invertMask?: boolean;
  /** Lower-level accuracy (default: the run's `eval.epsilon`, or the model file's `meta.epsilon`). */
  readonly epsilon?: number;
  /** Iteration cap (default: the run's `eval.maxIterations`). */
  readonly maxIterations?: number;
  /** Shrink the input so its longer side is at most this many pixels first. */
  readonly maxSide?: number;
  /** Allow `output` to be the input (or mask) file (it is overwritten). */
  readonly force?: boolean;
  /** Messages (default: stdout). */
  readonly write?: (line: string) => void;
}

/** Outcome of {@link applyModel}. */
export interface ApplyResult {
  /** The reconstructed image (also written to `output`). */
  readonly image: Image;
  /** Format of the output file. */
  readonly format: ImageFormat;
  /** Bits per sample of the output file. */
  readonly bitDepth: 8 | 16;
  /** Lower-level iterations, summed over channels. */
  readonly iterations: number;
  /** Largest certified distance bound over channels (`Infinity` for a non-convex model, solved to stationarity). */
  readonly distance: number;
  /** What the conversion could not keep of the input (each also written as a `note:` line). */
  readonly notes: readonly string[];
  /** `inpaint`: the number of missing pixels (of the possibly shrunk image), which the model filled in. */
  readonly missing?: number;
}

/** The known pixels of an inpainting mask. */
export interface InpaintMask {
  /** 1 channel, 1 = known (observed), 0 = missing. */
  readonly mask: Image;
  /** Number of missing pixels. */
  readonly missing: number;
}

/** What a task does, for messages: `denoising`, `deblurring`, `inpainting`. */
const DOING: Readonly<Record<ModelTask, string>> = { denoise: 'denoising', deblur: 'deblurring', inpaint: 'inpainting' };

/**
 * The mask of `bilevel inpaint` from an image file (PNG or JPEG, any channels and bit depth): each
 * pixel's value is its gray level `v` — the BT.601 luma `0.299 R + 0.587 G + 0.114 B` of a colour
 * mask — times its alpha when it has one (the mask composited over black, so transparent pixels
 * count as black); the pixel is known when `v ≥ 0.5` (white) and missing when `v < 0.5` (black),
 * the other way round with `invert`. The threshold tolerates JPEG artefacts.
 */
export function readMask(path: string, options: { readonly invert?: boolean } = {}): InpaintMask {
  const { image } = readImageWithInfo(path);
  const n = image.height * image.width;
  const d = image.data;
  const colour = image.channels >= 3;
  const alpha = image.channels === 2 || image.channels === 4 ? image.channels - 1 : -1;
  const [wr, wg, wb] = BT601_WEIGHTS;
  const mask = new Float64Array(n);
  let missing = 0;
  for (let p = 0; p < n; p++) {
    const gray = colour ? wr * d[p]! + wg * d[n + p]! + wb * d[2 * n + p]! : d[p]!;
    const v = alpha < 0 ? gray : gray * d[alpha * n + p]!;
    const known = (v >= 0.5) !== (options.invert ?? false);
    mask[p] = known ? 1 : 0;
    if (!known) missing++;
  }
  return { mask: { channels: 1, height: image.height, width: image.width, data: mask }, missing };
}

/**
 * A mask shrunk as `fitMaxSide` shrinks its image (area averaging): a pixel of the shrunk image is
 * known only when its whole footprint was known, so the known pixels hold no missing data.
 */
function shrinkMask(m: InpaintMask, maxSide: number | undefined): InpaintMask {
  const shrunk = maxSide ? fitMaxSide(m.mask, maxSide) : m.mask;
  if (shrunk === m.mask) return m;
  const data = shrunk.data.map((v) => (v >= 1 - 1e-9 ? 1 : 0));
  return { mask: { ...shrunk, data }, missing: data.reduce((k, v) => k + (v === 0 ? 1 : 0), 0) };
}

/** Whether `output` names the same file as `input` (same path, or the same file through a link). */
function sameFile(input: string, output: string): boolean {
  if (resolve(input) === resolve(output)) return true;
  try {
    const a = statSync(input);
    const b = statSync(output);
    return a.dev === b.dev && a.ino === b.ino;
  } catch {
    return false;
  }
}

/**
 * Reconstruct `input` with the learned model of a run and write `output`. Gray models are
 * applied to each colour channel separately, colour models (`options.channels` 3) to the colour
 * channels jointly; an alpha channel is copied unchanged. The output encoding follows the
 * extension of `output` (another extension is refused before any work): PNG at the input's
 * precision (16 bits for a 16-bit input, else 8) with every channel, or JPEG (8 bits; gray or
 * RGB, so an input with alpha is refused). What cannot be kept is said in `notes`. The data term
 * is the one the model was trained with: plain denoising, deblurring with the run's (or the model
 * file's) blur kernel, or inpainting `½‖Mx − y‖²` with the mask `M` of `options.mask`
 * ({@link readMask}) and `y = M·input` — the data operator training and `bilevel eval` build for
 * their random masks (`maskedSample` of `@bilevel/imaging`). Everything is checked before the
 * output is written.
 */
export function applyModel(options: ApplyOptions): ApplyResult {
  const write = options.write ?? stdoutLine;
  const learned = loadLearnedModel(options.model);
  if (learned.task !== options.task) {
    throw new ValidationError(`--model ${options.model} was trained for ${DOING[learned.task]}; use \`bilevel ${learned.task}\` with it`);
  }
  if ((options.task === 'inpaint') !== (options.mask !== undefined)) {
    throw new ValidationError(options.mask === undefined ? 'bilevel inpaint needs a mask image (white = known pixels)' : `bilevel ${options.task} takes no mask`);
  }
  const format = imageFormatOfPath(options.output);
  for (const [what, path] of [['input', options.input], ['mask', options.mask]] as const) {
    if (!options.force && path !== undefined && sameFile(path, options.output)) {
      throw new ValidationError(
        `the output ${options.output} is the ${what} file, which would be overwritten; choose another output file, or pass --force to replace the ${what}`,
      );
    }
  }
  const { image: source, info } = readImageWithInfo(options.input);
  const alpha = source.channels === 2 || source.channels === 4;
  if (alpha && format === 'jpeg') {
    throw new ValidationError(`${options.input} has an alpha channel, which JPEG cannot hold; name the output .png to keep it`);
  }
  const read = options.mask === undefined ? undefined : readMask(options.mask, { invert: options.invertMask ?? false });
  if (read && (read.mask.height !== source.height || read.mask.width !== source.width)) {
    throw new ValidationError(
      `the mask ${options.mask} is ${read.mask.width}×${read.mask.height} but the image ${options.input} is ${source.width}×${source.height}; the mask needs the image's size`,
    );
  }
  const notes: string[] = [];
  if (info.bitDepth === 16 && format === 'jpeg') notes.push('the input has 16 bits per sample but JPEG holds 8: the output is 8-bit (name it .png to keep 16 bits)');
  if (info.palette) notes.push(`the input is a palette PNG: the output holds full ${alpha ? 'RGBA' : 'RGB'} colour`);
  const bitDepth: 8 | 16 = format === 'png' && info.bitDepth === 16 ? 16 : 8;

  const img = options.maxSide ? fitMaxSide(source, options.maxSide) : source;
  if (img !== source) notes.push(`the input was shrunk from ${source.width}×${source.height} to ${img.width}×${img.height} (--max-side)`);
  const mask = read && shrinkMask(read, options.maxSide);
  const n = img.height * img.width;
  if (mask && mask.missing === n) {
    throw new ValidationError(
      `the mask ${options.mask} marks no pixel as known${img !== source ? ' at the size --max-side shrinks it to (a shrunk pixel is known only when all its pixels are)' : ''}: ` +
        `white (≥ 0.5) marks the known pixels, black the missing ones${options.invertMask ? ' (the other way round with --invert-mask)' : '; pass --invert-mask if yours is the other way round'}`,
    );
  }
  if (mask && mask.missing === 0) notes.push(`the mask ${options.mask} marks no pixel as missing: the model only reconstructs the known pixels`);
  const colours = alpha ? img.channels - 1 : img.channels;
  const modelChannels = Number((learned.spec.options as { channels?: unknown }).channels ?? 1);
  if (modelChannels !== 1 && modelChannels !== colours) {
    throw new ValidationError(`--model ${options.model} works on ${modelChannels}-channel images but ${options.input} has ${colours} colour channel(s); use a ${colours === 1 ? 'gray' : 'colour'} model`);
  }
  const opts = { epsilon: options.epsilon ?? learned.epsilon, maxIterations: options.maxIterations ?? learned.maxIterations };
  const kind = colours === 1 ? 'gray' : 'RGB';
  const masked = mask ? `; ${options.mask} marks ${mask.missing} of ${n} pixels missing (${((100 * mask.missing) / n).toFixed(1)} %)` : '';
  write(
    `${DOING[options.task]} ${options.input} (${img.width}×${img.height}, ${kind}${alpha ? ' + alpha' : ''}, ${info.bitDepth}-bit ${info.format.toUpperCase()}${masked}) with ${learned.name} …`,
  );
  // a gray model reconstructs each colour channel on its own, a colour model all of them at once
  const groups = modelChannels === 1 ? Array.from({ length: colours }, (_, c) => getChannel(img, c)) : [alpha ? dropAlpha(img) : img];
  const out = Float64Array.from(img.data); // the alpha channel (last) stays as it is
  let iterations = 0;
  let distance = 0;
  let gradientNorm = 0;
  groups.forEach((x, g) => {
    const sample = mask ? maskedSample(x, mask.mask) : { degraded: x, forward: learned.degradation ? forwardOperator(learned.degradation, imageShape(x)) : undefined };
    const r = reconstructModel(learned.spec, { ...(sample.forward ? { forward: sample.forward } : {}), ridge: learned.ridge }, sample.degraded, opts);
    out.set(r.image.data, g * x.channels * n);
    iterations += r.iterations;
    distance = Math.max(distance, r.distance);
    gradientNorm = Math.max(gradientNorm, r.gradientNorm ?? Infinity);
  });
  const image: Image = { channels: img.channels, height: img.height, width: img.width, data: out };
  writeImage(options.output, image, { bitDepth });
  for (const note of notes) write(`note: ${note}`);
  // a smooth lower level without strong convexity reports its stationarity instead of a distance
  const stationary = !Number.isFinite(distance) && Number.isFinite(gradientNorm);
  const accuracy = stationary ? `stationary to ‖∇h‖ ≤ ${gradientNorm.toPrecision(3)} (no distance certified: a non-convex model)` : `certified distance ≤ ${distance.toPrecision(3)}`;
  write(`wrote ${options.output} (${bitDepth}-bit ${format.toUpperCase()}, ${kind}${alpha ? ' + alpha' : ''}; ${iterations} lower-level iterations, ${accuracy})`);
  return { image, format, bitDepth, iterations, distance, notes, ...(mask ? { missing: mask.missing } : {}) };
}
