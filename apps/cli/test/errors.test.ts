import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readCheckpoint } from '@bilevel/optimizers/node';
import { Rng } from '@bilevel/core';
import { createImage, writePng } from '@bilevel/imaging';
import { RUN_FILES, type RunStatus } from '@bilevel/cli';
import { cli, tempDir, tinyConfig, writeConfig } from './helpers.js';

const quiet = ['--progress', 'none'];

describe('bad input gives a clear message (exit code 1)', () => {
  const dir = tempDir();
  const run = join(dir, 'run');

  it('a missing or corrupt PNG for denoise', async () => {
    expect((await cli('train', writeConfig(dir, tinyConfig({ budget: { iterations: 1 } })), '--out', run, ...quiet, '--no-report')).code).toBe(0);
    const missing = await cli('denoise', '--model', run, join(dir, 'nope.png'), join(dir, 'out.png'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/error: image file not found: .*nope\.png/);
    const corrupt = join(dir, 'corrupt.png');
    writeFileSync(corrupt, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('garbage, not a PNG')]));
    const bad = await cli('denoise', '--model', run, corrupt, join(dir, 'out.png'));
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/corrupt\.png/);
    const text = join(dir, 'text.png');
    writeFileSync(text, 'hello');
    const notImage = await cli('denoise', '--model', run, text, join(dir, 'out.png'));
    expect(notImage.code).toBe(1);
    expect(notImage.err).toMatch(/text\.png/);
    const noRun = await cli('denoise', '--model', join(dir, 'nothing'), corrupt, join(dir, 'out.png'));
    expect(noRun.code).toBe(1);
    expect(noRun.err).toMatch(/not a run directory/);
  });

  it('a config with unknown keys or wrong types', async () => {
    const unknown = await cli('train', writeConfig(dir, { ...tinyConfig(), optimiser: { kind: 'maid' } }, 'unknown.json'), ...quiet);
    expect(unknown.code).toBe(1);
    expect(unknown.err).toMatch(/invalid experiment config .*unknown\.json/);
    expect(unknown.err).toMatch(/unknown key "optimiser"/);
    const typed = await cli('train', writeConfig(dir, tinyConfig({ checkpointEvery: '5' }), 'typed.json'), ...quiet);
    expect(typed.code).toBe(1);
    expect(typed.err).toMatch(/checkpointEvery: .*expected number, received string/);
    expect(typed.err).not.toMatch(/at .*\.ts:\d+/); // no stack trace
  });

  it('an image smaller than the crop size', async () => {
    const images = join(dir, 'images');
    const rng = Rng.seeded(4);
    writePng(join(images, 'tiny.png'), createImage(1, 12, 12, rng.fillUniform(new Float64Array(144))));
    writePng(join(images, 'big.png'), createImage(1, 40, 40, rng.fillUniform(new Float64Array(1600))));
    const config = tinyConfig();
    config.data = {
      source: { folder: 'images' },
      train: { images: ['tiny.png'], cropSize: 16, minStd: 0 },
      test: { images: ['big.png'], cropSize: 16, minStd: 0 },
      degradation: { kind: 'noise', sigma: 0.1 },
    };
    const r = await cli('train', writeConfig(dir, config, 'small.json'), '--out', join(dir, 'small'), ...quiet);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/data\.train\.cropSize: image "tiny\.png" is 12×12 pixels .*smaller than the crop size 16×16/);
    const missing = await cli('train', writeConfig(dir, { ...config, data: { ...(config.data as object), source: { folder: 'nowhere' } } }, 'nowhere.json'), ...quiet);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nowhere/);
  });

  it('a run that diverges (huge step, plain GD): clear message, earlier checkpoint intact', async () => {
    const out = join(dir, 'diverge');
    const config = tinyConfig({ optimizer: { kind: 'gd', stepSize: 1e6 }, checkpointEvery: 1, budget: { iterations: 5 } });
    const r = await cli('train', writeConfig(dir, config, 'diverge.json'), '--out', out, ...quiet);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/training failed at iteration 2: .* the run diverged: lower optimizer\.stepSize/);
    expect(r.err).toMatch(/the last checkpoint \(iteration 1\) in .*checkpoint\.json is intact/);
    const ckpt = readCheckpoint(join(out, RUN_FILES.checkpoint));
    expect(ckpt.method).toBe('gd');
    const status = JSON.parse(readFileSync(join(out, RUN_FILES.status), 'utf8')) as RunStatus;
    expect(status.status).toBe('failed');
    expect(status.checkpointIteration).toBe(1);
    const params = JSON.parse(readFileSync(join(out, RUN_FILES.params), 'utf8')) as { theta: number[]; iteration: number };
    expect(params.iteration).toBe(1);
    expect(params.theta.every(Number.isFinite)).toBe(true);
  });
});
