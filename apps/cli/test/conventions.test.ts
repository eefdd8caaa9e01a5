/**
 * Command-line conventions: help without arguments, usage errors, `--json` results for train,
 * eval, experiments and denoise, the end-of-training message, non-finite numbers in the run
 * files, and `npx bilevel` from the workspace.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseJson } from '@bilevel/core';
import { addGaussianNoise, centerCrop } from '@bilevel/imaging';
import { loadPhotograph, writePng } from '@bilevel/imaging/node';
import { RUN_FILES, readJsonLines, type LogRow } from '@bilevel/cli';
import { QUIET, cli, tempDir, tinyConfig, writeConfig } from './helpers.js';

const dir = tempDir('bilevel-conventions-');
const WORKSPACE = fileURLToPath(new URL('../../..', import.meta.url));

describe('help and usage', () => {
  it('no arguments: the help on stdout, exit 0', async () => {
    const r = await cli();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^Usage: bilevel \[options\] \[command\]/);
    expect(r.out).toMatch(/train \[options\] <config>/);
    expect(r.err).toBe('');
  });

  it('an unknown command or option: usage error, exit 2', async () => {
    const unknown = await cli('trian');
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/unknown command 'trian'/);
    expect((await cli('train', 'x.json', '--bogus')).code).toBe(2);
    expect((await cli('train')).err).toMatch(/missing required argument 'config'/);
  });
});

describe('--json', () => {
  const out = join(dir, 'run');
  let train: { code: number; out: string; err: string };

  beforeAll(async () => {
    train = await cli('train', writeConfig(dir, tinyConfig({ budget: { iterations: 2 } })), '--out', out, '--json');
  });

  it('train: one JSON object on stdout, the messages and progress on stderr', () => {
    expect(train.code, train.err).toBe(0);
    const r = JSON.parse(train.out) as Record<string, unknown>;
    expect(r).toMatchObject({ command: 'train', status: 'completed', stopCause: 'max-iterations', outDir: out, iterations: 2, report: join(out, RUN_FILES.report) });
    expect(Object.keys(r.parameters as object)).toEqual(['log_weight', 'log_nu']);
    expect(train.err).toMatch(/training tiny: 2 training crops/);
    expect(train.err).toMatch(/writing pictures and report/);
  });

  it('eval', async () => {
    const r = await cli('eval', out, '--json');
    expect(r.code, r.err).toBe(0);
    const e = JSON.parse(r.out) as { command: string; format: string; methods: { method: string }[] };
    expect(e.command).toBe('eval');
    expect(e.format).toBe('bilevel-eval');
    expect(e.methods.map((m) => m.method)).toEqual(['degraded', 'tv', 'learned']);
    expect(r.err).toMatch(/evaluating tiny/);
  });

  it('experiments and photographs', async () => {
    const list = JSON.parse((await cli('experiments', '--json')).out) as { id: string; model: string }[];
    expect(list[0]).toMatchObject({ id: 'smooth-tv-denoising', model: 'smooth-tv' });
    const photos = JSON.parse((await cli('experiments', '--photographs', '--json')).out) as { name: string; split: string }[];
    expect(photos.some((p) => p.name === 'airplane-from-above')).toBe(true);
  });

  it('denoise', async () => {
    const input = join(dir, 'noisy.png');
    writePng(input, addGaussianNoise(centerCrop(loadPhotograph('march-pastoral', { maxSide: 64 }), 12, 16), { sigma: 0.1, seed: 1, clamp: true }));
    const r = await cli('denoise', '--model', out, input, join(dir, 'clean.jpg'), '--json');
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ command: 'denoise', format: 'jpeg', bitDepth: 8, channels: 3, height: 12, width: 16, notes: [] });
  });
});

describe('the end of a training', () => {
  it('says "writing pictures and report" only when it writes them', async () => {
    const config = writeConfig(dir, tinyConfig({ budget: { iterations: 1 } }), 'one.json');
    const without = await cli('train', config, '--out', join(dir, 'no-report'), '--progress', 'none', '--no-report');
    expect(without.code).toBe(0);
    expect(without.out).not.toMatch(/writing pictures/);
    expect(without.out).toMatch(/no pictures or report \(--no-report\)/);
  });
});

describe('non-finite numbers in run files', () => {
  it('an infinite bound is logged as "Infinity" and reads back as Infinity (not null)', async () => {
    // the isotropic smoothed TV has no certified constants: its bound is Infinity
    const foe = tinyConfig({
      name: 'foe-tiny',
      model: { kind: 'smooth-tv', mode: 'isotropic' },
      optimizer: { kind: 'adam', batchSize: 1, stepSize0: 0.01 },
      budget: { iterations: 2 },
    });
    const out = join(dir, 'foe');
    const r = await cli('train', writeConfig(dir, foe, 'foe.json'), '--out', out, ...QUIET);
    expect(r.code, r.err).toBe(0);
    const text = readFileSync(join(out, RUN_FILES.log), 'utf8');
    expect(text).toContain('"bound":"Infinity"');
    expect(text).not.toContain('"bound":null');
    const rows = readJsonLines<LogRow>(join(out, RUN_FILES.log));
    expect(rows.map((row) => row.bound)).toEqual([Infinity, Infinity]);
    expect((parseJson(text.split('\n')[0]!) as LogRow).bound).toBe(Infinity);
  });
});

describe('npx bilevel', () => {
  it('is reachable from the workspace (the bin entry)', async () => {
    const { stdout } = await promisify(execFile)('npx', ['--no-install', 'bilevel', '--version'], { cwd: WORKSPACE });
    expect(stdout.trim()).toBe('0.1.0');
  });
});
