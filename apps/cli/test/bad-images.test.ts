/**
 * Bad-input suite, part 2: images for `bilevel denoise` — missing, corrupt, truncated and
 * oversized files, unknown extensions, input = output, and the honest conversions (16-bit stays
 * 16-bit, alpha kept or refused, gray stays gray, the encoding follows the extension). Each case
 * asserts the exit code, the key words and that nothing was lost (the input is unchanged, no
 * half-written output).
 */
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { addGaussianNoise, centerCrop, createImage, encodeJpeg, encodePng, type Image } from '@bilevel/imaging';
import { loadPhotograph, readImageWithInfo, writeImage, writePng } from '@bilevel/imaging/node';
import { RUN_FILES } from '@bilevel/cli';
import { cli, snapshot, tempDir, trainTiny } from './helpers.js';

const dir = tempDir('bilevel-bad-images-');
let model = '';

/** A small noisy crop of a photograph with `channels` channels (alpha = a ramp). */
function noisy(channels: 1 | 2 | 3 | 4): Image {
  const rgb = centerCrop(loadPhotograph('march-pastoral', { maxSide: 64 }), 12, 16);
  const base = addGaussianNoise(rgb, { sigma: 0.1, seed: 3, clamp: true });
  const n = 12 * 16;
  const colour = channels <= 2 ? base.data.subarray(0, n) : base.data;
  const out = createImage(channels, 12, 16);
  out.data.set(colour);
  if (channels === 2 || channels === 4) for (let p = 0; p < n; p++) out.data[(channels - 1) * n + p] = p / (n - 1);
  return out;
}

beforeAll(async () => {
  model = await trainTiny(dir, 'model', { budget: { iterations: 1 } });
});

/** `bilevel denoise --model <run> in out …`. */
const denoise = (input: string, output: string, ...extra: string[]) => cli('denoise', '--model', model, input, output, ...extra);

/** Exit code 1 with the key words, no stack trace, and no output file. */
function refused(r: { code: number; err: string }, output: string, ...patterns: RegExp[]): void {
  expect(r.code, r.err).toBe(1);
  for (const p of patterns) expect(r.err).toMatch(p);
  expect(r.err).not.toMatch(/unexpected error|at .*\.ts:\d+/);
  expect(existsSync(output), 'no output written').toBe(false);
}

describe('unreadable inputs', () => {
  it('a missing input file', async () => {
    refused(await denoise(join(dir, 'nope.png'), join(dir, 'o1.png')), join(dir, 'o1.png'), /image file not found: .*nope\.png/);
  });

  it('a folder as the input', async () => {
    mkdirSync(join(dir, 'folder.png'));
    refused(await denoise(join(dir, 'folder.png'), join(dir, 'o2.png')), join(dir, 'o2.png'), /folder\.png is a directory, not an image file/);
  });

  it('an empty file', async () => {
    writeFileSync(join(dir, 'empty.png'), '');
    refused(await denoise(join(dir, 'empty.png'), join(dir, 'o3.png')), join(dir, 'o3.png'), /empty\.png: an empty file; convert it to PNG/);
  });

  it('a text file named .png', async () => {
    writeFileSync(join(dir, 'text.png'), 'hello');
    refused(await denoise(join(dir, 'text.png'), join(dir, 'o4.png')), join(dir, 'o4.png'), /text\.png: neither a PNG nor a JPEG file/);
  });

  it('a PNG with a damaged chunk (CRC mismatch)', async () => {
    const bytes = encodePng(noisy(1));
    bytes[40] = bytes[40]! ^ 0xff;
    writeFileSync(join(dir, 'crc.png'), bytes);
    refused(await denoise(join(dir, 'crc.png'), join(dir, 'o5.png')), join(dir, 'o5.png'), /crc\.png: corrupt or unsupported PNG .*re-save the file/);
  });

  it('a truncated PNG', async () => {
    writeFileSync(join(dir, 'cut.png'), encodePng(noisy(1)).slice(0, 70));
    refused(await denoise(join(dir, 'cut.png'), join(dir, 'o6.png')), join(dir, 'o6.png'), /cut\.png: corrupt/);
  });

  it('a truncated JPEG', async () => {
    const bytes = encodeJpeg(noisy(3));
    writeFileSync(join(dir, 'cut.jpg'), bytes.slice(0, bytes.length >> 1));
    refused(await denoise(join(dir, 'cut.jpg'), join(dir, 'o7.png')), join(dir, 'o7.png'), /cut\.jpg: corrupt or unsupported JPEG/);
  });

  it('a PNG whose header claims 100000×100000 pixels', async () => {
    const bytes = encodePng(noisy(1));
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    view.setUint32(16, 100_000);
    view.setUint32(20, 100_000);
    writeFileSync(join(dir, 'huge.png'), bytes);
    refused(await denoise(join(dir, 'huge.png'), join(dir, 'o8.png')), join(dir, 'o8.png'), /huge\.png: the file says the image is 100000×100000 pixels .*limit of 67 megapixels/);
  });
});

describe('outputs', () => {
  const input = join(dir, 'in.png');
  beforeAll(() => writePng(input, noisy(3)));

  it('an unknown output extension is refused before any work', async () => {
    refused(await denoise(input, join(dir, 'out.bmp')), join(dir, 'out.bmp'), /out\.bmp: unknown image extension "\.bmp"; name the output \.png .* or \.jpg/);
  });

  it('an output without extension', async () => {
    refused(await denoise(input, join(dir, 'out')), join(dir, 'out'), /no file extension/);
  });

  it('input = output needs --force; the input is untouched without it', async () => {
    const same = join(dir, 'same.png');
    writePng(same, noisy(3));
    const before = readFileSync(same);
    const r = await denoise(same, same);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/the output .*same\.png is the input file, which would be overwritten; choose another output file, or pass --force/);
    expect(readFileSync(same)).toEqual(before);
    const forced = await denoise(same, same, '--force');
    expect(forced.code, forced.err).toBe(0);
    expect(readFileSync(same)).not.toEqual(before);
  });

  it('input = output through a symbolic link is recognised', async () => {
    const target = join(dir, 'target.png');
    writePng(target, noisy(1));
    symlinkSync(target, join(dir, 'link.png'));
    const before = readFileSync(target);
    const r = await denoise(target, join(dir, 'link.png'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/is the input file/);
    expect(readFileSync(target)).toEqual(before);
  });

  it('an output below a file is a file-system error naming the path', async () => {
    writeFileSync(join(dir, 'plain'), 'x');
    const before = snapshot(dir);
    refused(await denoise(input, join(dir, 'plain', 'out.png')), join(dir, 'plain', 'out.png'), /cannot create the folder .*plain: .*plain is a file, not a folder/);
    expect(snapshot(dir)).toEqual(before);
  });

  it.runIf(process.platform === 'linux')('an output in a folder that cannot be written', async () => {
    const r = await denoise(input, '/sys/bilevel-out.png');
    refused(r, '/sys/bilevel-out.png', /cannot write the PNG \/sys\/bilevel-out\.png: (permission denied \(EACCES\)|operation not permitted \(EPERM\)|the file system is read-only \(EROFS\))/);
  });

  it('.jpg output holds JPEG bytes, not PNG bytes', async () => {
    const r = await denoise(input, join(dir, 'out.jpg'));
    expect(r.code, r.err).toBe(0);
    const bytes = readFileSync(join(dir, 'out.jpg'));
    expect([bytes[0], bytes[1], bytes[2]]).toEqual([0xff, 0xd8, 0xff]);
    expect(readImageWithInfo(join(dir, 'out.jpg')).image.channels).toBe(3);
  });
});

describe('honest conversions', () => {
  it('a 16-bit PNG stays 16-bit', async () => {
    writePng(join(dir, 'deep.png'), noisy(1), { bitDepth: 16 });
    const r = await denoise(join(dir, 'deep.png'), join(dir, 'deep-out.png'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/wrote .*deep-out\.png \(16-bit PNG, gray;/);
    expect(readImageWithInfo(join(dir, 'deep-out.png')).info.bitDepth).toBe(16);
  });

  it('a 16-bit PNG to JPEG says it is written with 8 bits', async () => {
    writePng(join(dir, 'deep2.png'), noisy(1), { bitDepth: 16 });
    const r = await denoise(join(dir, 'deep2.png'), join(dir, 'deep2-out.jpg'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/note: the input has 16 bits per sample but JPEG holds 8: the output is 8-bit \(name it \.png to keep 16 bits\)/);
  });

  it('an RGBA PNG keeps its alpha channel unchanged', async () => {
    const img = noisy(4);
    writePng(join(dir, 'rgba.png'), img);
    const r = await denoise(join(dir, 'rgba.png'), join(dir, 'rgba-out.png'));
    expect(r.code, r.err).toBe(0);
    const out = readImageWithInfo(join(dir, 'rgba-out.png')).image;
    expect(out.channels).toBe(4);
    const n = 12 * 16;
    for (let p = 0; p < n; p++) expect(Math.abs(out.data[3 * n + p]! - img.data[3 * n + p]!)).toBeLessThanOrEqual(0.5 / 255 + 1e-12);
  });

  it('gray + alpha keeps both channels', async () => {
    writePng(join(dir, 'ga.png'), noisy(2));
    const r = await denoise(join(dir, 'ga.png'), join(dir, 'ga-out.png'));
    expect(r.code, r.err).toBe(0);
    expect(readImageWithInfo(join(dir, 'ga-out.png')).image.channels).toBe(2);
  });

  it('an RGBA PNG to JPEG is refused (JPEG has no alpha)', async () => {
    writePng(join(dir, 'rgba2.png'), noisy(4));
    refused(await denoise(join(dir, 'rgba2.png'), join(dir, 'rgba2-out.jpg')), join(dir, 'rgba2-out.jpg'), /rgba2\.png has an alpha channel, which JPEG cannot hold; name the output \.png to keep it/);
  });

  it('a gray JPEG stays a one-component gray JPEG', async () => {
    writeImage(join(dir, 'gray.jpg'), noisy(1));
    const r = await denoise(join(dir, 'gray.jpg'), join(dir, 'gray-out.jpg'));
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/denoising .*gray\.jpg \(16×12, gray, 8-bit JPEG\)/);
    const out = readImageWithInfo(join(dir, 'gray-out.jpg'));
    expect([out.info.format, out.image.channels]).toEqual(['jpeg', 1]);
  });

  it('a gray PNG to PNG stays one channel', async () => {
    writePng(join(dir, 'gray.png'), noisy(1));
    const r = await denoise(join(dir, 'gray.png'), join(dir, 'gray-out.png'));
    expect(r.code, r.err).toBe(0);
    expect(readImageWithInfo(join(dir, 'gray-out.png')).image.channels).toBe(1);
  });
});

describe('models and options', () => {
  const input = join(dir, 'in2.png');
  beforeAll(() => writePng(input, noisy(1)));

  it('--model is not a run folder', async () => {
    refused(await cli('denoise', '--model', dir, input, join(dir, 'm1.png')), join(dir, 'm1.png'), /--model .* is not a run directory \(no config\.json\)/);
  });

  it('--model with a damaged params.json', async () => {
    const broken = join(dir, 'broken-model');
    mkdirSync(broken);
    writeFileSync(join(broken, RUN_FILES.config), readFileSync(join(model, RUN_FILES.config)));
    writeFileSync(join(broken, RUN_FILES.params), '{"format": "bilevel-params", "theta": [1, 2');
    refused(await cli('denoise', '--model', broken, input, join(dir, 'm2.png')), join(dir, 'm2.png'), /params file .*params\.json is not valid JSON/);
  });

  it('deblur with a denoising model', async () => {
    refused(await cli('deblur', '--model', model, input, join(dir, 'm3.png')), join(dir, 'm3.png'), /was trained for denoising; use `bilevel denoise` with it/);
  });

  it('--max-side 0 is a usage error (exit 2)', async () => {
    const r = await denoise(input, join(dir, 'm4.png'), '--max-side', '0');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--max-side.*must be an integer ≥ 1/);
    expect(existsSync(join(dir, 'm4.png'))).toBe(false);
  });

  it('--epsilon -1 is a usage error (exit 2)', async () => {
    const r = await denoise(input, join(dir, 'm5.png'), '--epsilon', '-1');
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--epsilon.*must be a number > 0/);
  });
});
