/**
 * `bilevel inpaint --model <name> <image> <mask> <out>`: the shipped `foe-inpaint-gray` fills in
 * the missing pixels of a bundled test photograph far better than the mean and than the mean of
 * the known 3×3 neighbours, and leaves the known pixels close to the input; the mask's
 * conventions (white = known, colour by luma, alpha over black, --invert-mask, --max-side) and the
 * refusals (size mismatch, no known pixel, a model of another task, the mask as the output); colour
 * models read the channels jointly; a non-convex model reports its stationarity, not a distance.
 * Small crops and a loose ε keep each reconstruction at a few seconds.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { addGaussianNoise, centerCrop, createImage, psnr, randomMask, type Image } from '@bilevel/imaging';
import { loadPhotograph, readImage, writeImage } from '@bilevel/imaging/node';
import { cli, tempDir } from './helpers.js';

const dir = tempDir('bilevel-inpaint-');
const MODEL = 'foe-inpaint-gray';
/** A loose accuracy: the fill changes by < 0.001 dB from ε = 1e-2 to 1e-4 on these crops. */
const FAST = ['--epsilon', '1e-2'] as const;

/** A centred `size`² crop of the bundled test photograph `nagasaki-boats` (shrunk to 128 px), gray or RGB. */
function photo(size: number, gray = true): Image {
  return centerCrop(loadPhotograph('nagasaki-boats', { gray, maxSide: 128 }), size, size);
}

/** The entries of `img` (of its first channel) at the pixels where `mask` is `known` (1) or not (0). */
function at(img: Image, mask: Image, known: 0 | 1, channel = 0): Float64Array {
  const n = mask.height * mask.width;
  return Float64Array.from(Array.from({ length: n }, (_, p) => p).filter((p) => mask.data[p] === known), (p) => img.data[channel * n + p]!);
}

/** The gray image with each missing pixel set to the mean of its known 3×3 neighbours (0.5 when it has none). */
function neighbourFill(img: Image, mask: Image): Image {
  const { height: H, width: W } = img;
  const out = Float64Array.from(img.data);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      if (mask.data[y * W + x] === 1) continue;
      let sum = 0;
      let count = 0;
      for (let dy = -1; dy <= 1; dy++) {
        for (let dx = -1; dx <= 1; dx++) {
          const yy = y + dy;
          const xx = x + dx;
          if (yy >= 0 && yy < H && xx >= 0 && xx < W && mask.data[yy * W + xx] === 1) {
            sum += img.data[yy * W + xx]!;
            count++;
          }
        }
      }
      out[y * W + x] = count > 0 ? sum / count : 0.5;
    }
  }
  return { ...img, data: out };
}

/** Exit code 1 with the key words, no stack trace, and no output file. */
function refused(r: { code: number; err: string }, output: string, ...patterns: RegExp[]): void {
  expect(r.code, r.err).toBe(1);
  for (const p of patterns) expect(r.err).toMatch(p);
  expect(r.err).not.toMatch(/unexpected error|at .*\.ts:\d+/);
  expect(existsSync(output), 'no output written').toBe(false);
}

describe('bilevel inpaint with the shipped foe-inpaint-gray', () => {
  const clean = photo(40);
  const mask = randomMask(40, 40, { keepRatio: 0.5, seed: 5 });
  const input = join(dir, 'photo.png');
  const maskPath = join(dir, 'mask.png');
  writeImage(input, clean, { bitDepth: 16 });
  writeImage(maskPath, mask);

  it('fills in the missing pixels far better than the mean and the known neighbours; known pixels stay close', async () => {
    const out = join(dir, 'filled.png');
    const r = await cli('inpaint', '--model', MODEL, input, maskPath, out, ...FAST, '--json');
    expect(r.code, r.err).toBe(0);
    expect(r.err).toMatch(/inpainting .*photo\.png \(40×40, gray, 16-bit PNG; .*mask\.png marks 800 of 1600 pixels missing \(50\.0 %\)\) with foe-inpaint-gray/);
    const json = JSON.parse(r.out) as Record<string, unknown>;
    expect(json).toMatchObject({ command: 'inpaint', input, mask: maskPath, output: out, format: 'png', bitDepth: 16, channels: 1, height: 40, width: 40, missing: 800, notes: [] });
    const filled = readImage(out);
    const truth = at(clean, mask, 0);
    const known = at(clean, mask, 1);
    const mean = known.reduce((s, v) => s + v, 0) / known.length;
    const learned = psnr(at(filled, mask, 0), truth, { dataRange: 1 });
    const meanFill = psnr(new Float64Array(truth.length).fill(mean), truth, { dataRange: 1 });
    const zeroFill = psnr(new Float64Array(truth.length), truth, { dataRange: 1 });
    const neighbours = psnr(at(neighbourFill(clean, mask), mask, 0), truth, { dataRange: 1 });
    // measured: learned 22.10 dB, known-neighbour mean 19.90, the mean 12.55, zeros 5.12
    expect(learned).toBeGreaterThan(meanFill + 5);
    expect(learned).toBeGreaterThan(zeroFill + 10);
    expect(learned).toBeGreaterThan(neighbours + 1);
    // the known pixels are denoised (the model was trained with noise 0.02 on them), not replaced: measured 37.1 dB
    expect(psnr(at(filled, mask, 1), known, { dataRange: 1 })).toBeGreaterThan(33);
  });

  it('an RGB image, channel by channel with the same mask; a colour mask by its luma, an inverted one with --invert-mask', async () => {
    const rgb = photo(24, false);
    const m = randomMask(24, 24, { keepRatio: 0.6, seed: 2 });
    const image = join(dir, 'rgb.png');
    writeImage(image, rgb);
    // an RGB mask whose known pixels have luma 0.56 (but red and the channel mean < 0.5) and whose missing ones 0.47 (red 0.9)
    const n = 24 * 24;
    const colourMask = createImage(3, 24, 24);
    for (let p = 0; p < n; p++) for (let c = 0; c < 3; c++) colourMask.data[c * n + p] = m.data[p] === 1 ? [0.2, 0.8, 0.3][c]! : [0.9, 0.3, 0.2][c]!;
    writeImage(join(dir, 'colour-mask.png'), colourMask);
    const inverted: Image = { ...m, data: m.data.map((v) => 1 - v) };
    writeImage(join(dir, 'inverted-mask.png'), inverted);

    const a = await cli('inpaint', '--model', MODEL, image, join(dir, 'colour-mask.png'), join(dir, 'rgb-a.png'), ...FAST);
    expect(a.code, a.err).toBe(0);
    expect(a.out).toMatch(/24×24, RGB, 8-bit PNG; .* marks 230 of 576 pixels missing/);
    const filled = readImage(join(dir, 'rgb-a.png'));
    expect(filled.channels).toBe(3);
    for (let c = 0; c < 3; c++) {
      const truth = at(rgb, m, 0, c);
      const known = at(rgb, m, 1, c);
      const mean = known.reduce((s, v) => s + v, 0) / known.length;
      const channel: Image = { channels: 1, height: 24, width: 24, data: rgb.data.slice(c * n, (c + 1) * n) };
      const learned = psnr(at(filled, m, 0, c), truth, { dataRange: 1 });
      // measured (R, G, B): learned 21.57, 21.62, 22.57 dB; the mean 17.58, 17.63, 18.64; known neighbours 19.20, 19.26, 20.26
      expect(learned).toBeGreaterThan(psnr(new Float64Array(truth.length).fill(mean), truth, { dataRange: 1 }) + 3);
      expect(learned).toBeGreaterThan(psnr(at(neighbourFill(channel, m), m, 0), truth, { dataRange: 1 }) + 1);
    }

    // the same mask said two ways gives the same file (a few iterations suffice to compare)
    const few = ['--max-iterations', '20'];
    expect((await cli('inpaint', '--model', MODEL, image, join(dir, 'colour-mask.png'), join(dir, 'rgb-b.png'), ...few)).code).toBe(0);
    const b = await cli('inpaint', '--model', MODEL, image, join(dir, 'inverted-mask.png'), join(dir, 'rgb-c.png'), '--invert-mask', ...few);
    expect(b.code, b.err).toBe(0);
    expect(readFileSync(join(dir, 'rgb-c.png')).equals(readFileSync(join(dir, 'rgb-b.png')))).toBe(true);
  });

  it('an alpha channel of the mask counts as black where transparent; --max-side shrinks the mask with the image (a shrunk pixel is known when all its pixels are)', async () => {
    const image = join(dir, 'big.png');
    writeImage(image, photo(32));
    const rgba = createImage(4, 32, 32);
    const n = 32 * 32;
    for (let p = 0; p < n; p++) {
      const [y, x] = [Math.floor(p / 32), p % 32];
      const hole = y >= 8 && y < 16 && x >= 8 && x < 16; // 8×8 black block: 4×4 after halving
      const transparent = y === 20 && x === 21; // white but transparent: one more shrunk pixel missing
      for (let c = 0; c < 3; c++) rgba.data[c * n + p] = hole ? 0 : 1;
      rgba.data[3 * n + p] = transparent ? 0 : 1;
    }
    writeImage(join(dir, 'rgba-mask.png'), rgba);
    const r = await cli('inpaint', '--model', MODEL, image, join(dir, 'rgba-mask.png'), join(dir, 'small.png'), '--max-side', '16', ...FAST, '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ height: 16, width: 16, missing: 17, notes: ['the input was shrunk from 32×32 to 16×16 (--max-side)'] });
  });

  it('refusals: a mask of another size, a mask without a known pixel, models of other tasks, the mask as the output', async () => {
    writeImage(join(dir, 'small-mask.png'), randomMask(40, 39, { keepRatio: 0.5, seed: 1 }));
    refused(
      await cli('inpaint', '--model', MODEL, input, join(dir, 'small-mask.png'), join(dir, 'x1.png')),
      join(dir, 'x1.png'),
      /the mask .*small-mask\.png is 39×40 but the image .*photo\.png is 40×40; the mask needs the image's size/,
    );
    writeImage(join(dir, 'black.png'), createImage(1, 40, 40));
    refused(
      await cli('inpaint', '--model', MODEL, input, join(dir, 'black.png'), join(dir, 'x2.png')),
      join(dir, 'x2.png'),
      /the mask .*black\.png marks no pixel as known: white \(≥ 0\.5\) marks the known pixels, black the missing ones; pass --invert-mask/,
    );
    refused(
      await cli('inpaint', '--model', 'foe-denoise-gray-σ0.1', input, maskPath, join(dir, 'x3.png')),
      join(dir, 'x3.png'),
      /--model foe-denoise-gray-σ0\.1 was trained for denoising; use `bilevel denoise` with it/,
    );
    refused(
      await cli('inpaint', '--model', 'foe-deblur-gaussian', input, maskPath, join(dir, 'x4.png')),
      join(dir, 'x4.png'),
      /was trained for deblurring; use `bilevel deblur` with it/,
    );
    for (const task of ['denoise', 'deblur']) {
      refused(await cli(task, '--model', MODEL, input, join(dir, 'x5.png')), join(dir, 'x5.png'), /--model foe-inpaint-gray was trained for inpainting; use `bilevel inpaint` with it/);
    }
    const before = readFileSync(maskPath);
    const r = await cli('inpaint', '--model', MODEL, input, maskPath, maskPath);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the output .*mask\.png is the mask file, which would be overwritten; .*--force to replace the mask/);
    expect(readFileSync(maskPath).equals(before), 'the mask is unchanged').toBe(true);
  });
});

describe('colour models read the colour channels jointly', () => {
  it('bilevel denoise with the shipped foe-denoise-color-σ25 denoises an RGB crop; a gray image is refused', async () => {
    const rgb = photo(24, false);
    const noisy = addGaussianNoise(rgb, { sigma: 25 / 255, seed: 4 });
    const input = join(dir, 'noisy-rgb.png');
    writeImage(input, noisy, { bitDepth: 16 });
    const r = await cli('denoise', '--model', 'foe-denoise-color-σ25', input, join(dir, 'denoised-rgb.png'), ...FAST);
    expect(r.code, r.err).toBe(0);
    const out = readImage(join(dir, 'denoised-rgb.png'));
    expect(psnr(out, rgb, { dataRange: 1 })).toBeGreaterThan(psnr(noisy, rgb, { dataRange: 1 }) + 4);

    writeImage(join(dir, 'gray.png'), photo(24));
    refused(
      await cli('denoise', '--model', 'foe-denoise-color-σ25', join(dir, 'gray.png'), join(dir, 'x6.png')),
      join(dir, 'x6.png'),
      /--model foe-denoise-color-σ25 works on 3-channel images but .*gray\.png has 1 colour channel\(s\); use a gray model/,
    );
  });
});

describe('non-convex models are solved to stationarity', () => {
  it('bilevel denoise with the shipped foe-nonconvex-denoise-gray-σ0.1 denoises a gray crop and reports ‖∇h‖, not a certified distance', async () => {
    const gray = photo(24);
    const noisy = addGaussianNoise(gray, { sigma: 0.1, seed: 5 });
    const input = join(dir, 'noisy-gray.png');
    writeImage(input, noisy, { bitDepth: 16 });
    const r = await cli('denoise', '--model', 'foe-nonconvex-denoise-gray-σ0.1', input, join(dir, 'denoised-nc.png'), ...FAST);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/stationary to ‖∇h‖ ≤ \S+ \(no distance certified: a non-convex model\)/);
    const out = readImage(join(dir, 'denoised-nc.png'));
    // measured: 19.79 → 23.44 dB on this 24² crop at ε = 1e-2
    expect(psnr(out, gray, { dataRange: 1 })).toBeGreaterThan(psnr(noisy, gray, { dataRange: 1 }) + 3);
    // the convex FoE certifies its distance
    const convex = await cli('denoise', '--model', 'foe-denoise-gray-σ0.1', input, join(dir, 'denoised-convex.png'), ...FAST);
    expect(convex.code, convex.err).toBe(0);
    expect(convex.out).toMatch(/certified distance ≤ \S+\)/);
  });
});
