/**
 * `bilevel denoise` / `bilevel deblur`: apply a learned model to an image file, converting
 * honestly: the output encoding follows its extension, 16-bit PNGs stay 16-bit, an alpha channel
 * is kept (or JPEG output refused), gray stays gray, and the input is never overwritten without
 * `--force`.
 * @module
 */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { ValidationError } from '@bilevel/core';
import { fitMaxSide, forwardOperator, getChannel, imageFormatOfPath, type Image, type ImageFormat } from '@bilevel/imaging';
import { readImageWithInfo, writeImage } from '@bilevel/imaging/node';
import { loadLearnedModel } from './model-source.js';
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
  /** `denoise` or `deblur`: must match what the model was trained for. */
  readonly task: 'denoise' | 'deblur';
  /** Lower-level accuracy (default: the run's `eval.epsilon`, or the model file's `meta.epsilon`). */
  readonly epsilon?: number;
  /** Iteration cap (default: the run's `eval.maxIterations`). */
  readonly maxIterations?: number;
  /** Shrink the input so its longer side is at most this many pixels first. */
  readonly maxSide?: number;
  /** Allow `output` to be the input file (it is overwritten). */
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
  /** Largest certified distance bound over channels. */
  readonly distance: number;
  /** What the conversion could not keep of the input (each also written as a `note:` line). */
  readonly notes: readonly string[];
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
 * applied to each colour channel separately; an alpha channel is copied unchanged. The output
 * encoding follows the extension of `output` (another extension is refused before any work):
 * PNG at the input's precision (16 bits for a 16-bit input, else 8) with every channel, or JPEG
 * (8 bits; gray or RGB, so an input with alpha is refused). What cannot be kept is said in
 * `notes`. The data term is the one the model was trained with: plain denoising, or deblurring
 * with the run's (or the model file's) blur kernel.
 */
export function applyModel(options: ApplyOptions): ApplyResult {
  const write = options.write ?? stdoutLine;
  const learned = loadLearnedModel(options.model);
  if (learned.task !== options.task) {
    throw new ValidationError(
      `--model ${options.model} was trained for ${learned.task === 'denoise' ? 'denoising' : 'deblurring'}; use \`bilevel ${learned.task}\` with it`,
    );
  }
  const format = imageFormatOfPath(options.output);
  if (!options.force && sameFile(options.input, options.output)) {
    throw new ValidationError(
      `the output ${options.output} is the input file, which would be overwritten; choose another output file, or pass --force to replace the input`,
    );
  }
  const { image: source, info } = readImageWithInfo(options.input);
  const alpha = source.channels === 2 || source.channels === 4;
  if (alpha && format === 'jpeg') {
    throw new ValidationError(`${options.input} has an alpha channel, which JPEG cannot hold; name the output .png to keep it`);
  }
  const notes: string[] = [];
  if (info.bitDepth === 16 && format === 'jpeg') notes.push('the input has 16 bits per sample but JPEG holds 8: the output is 8-bit (name it .png to keep 16 bits)');
  if (info.palette) notes.push(`the input is a palette PNG: the output holds full ${alpha ? 'RGBA' : 'RGB'} colour`);
  const bitDepth: 8 | 16 = format === 'png' && info.bitDepth === 16 ? 16 : 8;

  const img = options.maxSide ? fitMaxSide(source, options.maxSide) : source;
  if (img !== source) notes.push(`the input was shrunk from ${source.width}×${source.height} to ${img.width}×${img.height} (--max-side)`);
  const opts = { epsilon: options.epsilon ?? learned.epsilon, maxIterations: options.maxIterations ?? learned.maxIterations };
  const colours = alpha ? img.channels - 1 : img.channels;
  const kind = colours === 1 ? 'gray' : 'RGB';
  write(
    `${options.task === 'denoise' ? 'denoising' : 'deblurring'} ${options.input} (${img.width}×${img.height}, ${kind}${alpha ? ' + alpha' : ''}, ${info.bitDepth}-bit ${info.format.toUpperCase()}) with ${learned.name} …`,
  );
  const forward = learned.degradation ? forwardOperator(learned.degradation, [1, img.height, img.width]) : undefined;
  const data = { ...(forward ? { forward } : {}), ridge: learned.ridge };
  const out = Float64Array.from(img.data); // the alpha channel (last) stays as it is
  const n = img.height * img.width;
  let iterations = 0;
  let distance = 0;
  for (let c = 0; c < colours; c++) {
    const r = reconstructModel(learned.spec, data, getChannel(img, c), opts);
    out.set(r.image.data, c * n);
    iterations += r.iterations;
    distance = Math.max(distance, r.distance);
  }
  const image: Image = { channels: img.channels, height: img.height, width: img.width, data: out };
  writeImage(options.output, image, { bitDepth });
  for (const note of notes) write(`note: ${note}`);
  write(
    `wrote ${options.output} (${bitDepth}-bit ${format.toUpperCase()}, ${kind}${alpha ? ' + alpha' : ''}; ${iterations} lower-level iterations, certified distance ≤ ${distance.toPrecision(3)})`,
  );
  return { image, format, bitDepth, iterations, distance, notes };
}
