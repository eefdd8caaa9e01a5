/**
 * Bad-input suite, part 1: experiment configs and data. Each case runs `bilevel train` on a bad
 * config and asserts the exit code, the key words of the message (the config key, never an
 * internal option name) and that nothing was written: the run folder does not exist afterwards,
 * or an existing run in it is unchanged.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '@bilevel/core';
import { createImage, encodePng } from '@bilevel/imaging';
import { writePng } from '@bilevel/imaging/node';
import { QUIET, cli, snapshot, tempDir, tinyConfig, trainTiny, writeConfig } from './helpers.js';

const dir = tempDir('bilevel-bad-config-');
let n = 0;

/** `bilevel train` on `config` (an object, or the raw text of the file) into a fresh folder. */
async function trainBad(config: unknown, extra: readonly string[] = []): Promise<{ code: number; err: string; out: string; runDir: string }> {
  const name = `case-${++n}`;
  const path = join(dir, `${name}.json`);
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config, null, 2));
  const runDir = join(dir, `${name}-run`);
  const r = await cli('train', path, '--out', runDir, ...QUIET, ...extra);
  return { ...r, runDir };
}

type Obj = Record<string, unknown>;
/** The sections of a config that the cases patch. */
interface Cfg {
  name: unknown;
  checkpointEvery: unknown;
  budget: Obj;
  model: Obj & { init?: Obj };
  data: Obj & { train: Obj; test: Obj; degradation: Obj };
  optimizer: Obj;
  hypergradient: Obj;
}

/** A tiny config with `patch` applied to a deep copy. */
function tiny(patch: (c: Cfg) => void): Record<string, unknown> {
  const c = structuredClone(tinyConfig()) as unknown as Cfg;
  patch(c);
  return c as unknown as Record<string, unknown>;
}

/** Exit code 1, the message matches every pattern, no stack trace, and no folder was created. */
function refused(r: { code: number; err: string; runDir: string }, ...patterns: RegExp[]): void {
  expect(r.code, r.err).toBe(1);
  for (const p of patterns) expect(r.err).toMatch(p);
  expect(r.err).not.toMatch(/unexpected error|at .*\.ts:\d+/);
  expect(existsSync(r.runDir), 'a config error leaves no run folder behind').toBe(false);
}

describe('config files', () => {
  it('a missing config file', async () => {
    const r = await cli('train', join(dir, 'nope.json'), '--out', join(dir, 'nope-run'), ...QUIET);
    refused({ ...r, runDir: join(dir, 'nope-run') }, /config file not found: .*nope\.json/);
  });

  it('a folder given as the config', async () => {
    mkdirSync(join(dir, 'a-folder.json'));
    const r = await cli('train', join(dir, 'a-folder.json'), '--out', join(dir, 'folder-run'), ...QUIET);
    refused({ ...r, runDir: join(dir, 'folder-run') }, /a-folder\.json is a directory; pass a \.json file/);
  });

  it('an empty config file', async () => refused(await trainBad(''), /config file .* is empty/));

  it('bad JSON: a trailing comma, with line and column', async () => {
    refused(await trainBad('{\n  "name": "tiny",\n}\n'), /is not valid JSON at line 3, column 1/);
  });

  it('bad JSON: NaN is not JSON', async () => {
    refused(await trainBad('{ "name": "tiny", "seed": NaN }'), /is not valid JSON at line 1, column 27/);
  });

  it('a JSON array instead of an object', async () => refused(await trainBad('[1, 2]'), /\(root\): .*expected object/));

  it('an unknown top-level key', async () => {
    refused(await trainBad({ ...tinyConfig(), optimiser: { kind: 'maid' } }), /\(root\): unknown key "optimiser" \(allowed keys here: .*optimizer/);
  });

  it('an unknown nested key names its path and the allowed keys', async () => {
    refused(await trainBad(tiny((c) => (c.model.filters = 3))), /model: unknown key "filters" \(allowed keys here: kind, mode, boundary, init, ridge\)/);
  });

  it('a wrong type', async () => {
    refused(await trainBad(tiny((c) => (c.budget.iterations = 'ten'))), /budget\.iterations: .*expected number, received string/);
  });

  it('"NaN" written as a string is read as NaN and refused by its key', async () => {
    refused(await trainBad(tiny((c) => (c.model.init!.logWeight = 'NaN'))), /model\.init\.logWeight: .*expected number, received NaN/);
  });

  it('"Infinity" is refused by its key', async () => {
    refused(await trainBad(tiny((c) => (c.data.degradation.sigma = 'Infinity'))), /data\.degradation\.sigma: .*(expected number|finite)/);
  });

  it('logWeight 1e308 names the config key, not an internal option', async () => {
    const r = await trainBad(tiny((c) => (c.model.init!.logWeight = 1e308)));
    refused(r, /model\.init\.logWeight: must be ≤ 700/);
    expect(r.err).not.toMatch(/SmoothedTV|weight: must be finite/);
  });

  it('logSmoothing −1e308 (e^θ underflows to 0)', async () => {
    refused(await trainBad(tiny((c) => (c.model.init!.logSmoothing = -1e308))), /model\.init\.logSmoothing: must be ≥ −700/);
  });

  it('Huber-TV logWeight 800 (‖K‖ would be infinite)', async () => {
    const r = await trainBad(tiny((c) => ((c.model = { kind: 'huber-tv', init: { logWeight: 800 } }), (c.hypergradient = { kind: 'piggyback' }))));
    refused(r, /model\.init\.logWeight: must be ≤ 700/);
    expect(r.err).not.toMatch(/normK/);
  });

  it('ICNN derivativeWeight 1e308', async () => {
    const r = await trainBad(
      tiny((c) => {
        c.model = { kind: 'icnn', filters: 4, filterSize: 3, poolFactor: 4, units: 2, init: { derivativeWeight: 1e308 } };
        c.hypergradient = { kind: 'piggyback' };
      }),
    );
    refused(r, /model\.init\.derivativeWeight: must be ≤ 1e6/);
  });

  it('a noise level of 1e308', async () => {
    refused(await trainBad(tiny((c) => (c.data.degradation.sigma = 1e308))), /data\.degradation\.sigma: must be ≤ 100/);
  });

  it('a blur kernel of a million pixels', async () => {
    refused(await trainBad(tiny((c) => (c.data.degradation = { kind: 'blur', size: 1_000_001, noise: 0.01 }))), /data\.degradation\.size: must be ≤ 101/);
  });

  it('an unknown model kind', async () => {
    refused(await trainBad(tiny((c) => (c.model = { kind: 'no-such-kind' }))), /model: "kind" must be one of 'smooth-tv', 'huber-tv', 'foe', 'icnn'/);
  });

  it('a crop size below the minimum', async () => {
    refused(await trainBad(tiny((c) => (c.data.train.cropSize = -16))), /data\.train\.cropSize: must be ≥ 8 pixels/);
  });

  it('an impossible crop: larger than the image', async () => {
    refused(await trainBad(tiny((c) => (c.data.train.cropSize = 4096))), /data\.train\.cropSize: image "airplane-from-above" is \d+×\d+ pixels .*smaller than the crop size 4096×4096/);
  });

  it('an impossible crop: no crop is textured enough', async () => {
    refused(await trainBad(tiny((c) => (c.data.train.minStd = 10))), /data\.train \(image "airplane-from-above"\): .*minStd/);
  });

  it('an unknown photograph', async () => {
    refused(await trainBad(tiny((c) => (c.data.train.images = ['mona-lisa']))), /data\.train\.images: unknown photograph "mona-lisa"; choose from /);
  });

  it('more photographs than the default split has', async () => {
    refused(await trainBad(tiny((c) => ((c.data.train = { count: 99, cropSize: 16 }), c))), /data\.train\.count: 99 requested but the default train split has \d+/);
  });

  it('images and count together', async () => {
    refused(await trainBad(tiny((c) => (c.data.train.count = 1))), /data\.train: give "images" or "count", not both/);
  });

  it('a minibatch larger than the training set', async () => {
    refused(await trainBad(tiny((c) => (c.optimizer = { kind: 'sgd', batchSize: 100, stepSize0: 0.01 }))), /optimizer\.batchSize: 100 is larger than the 2 training crops/);
  });

  it('a model with the wrong hypergradient', async () => {
    refused(await trainBad(tiny((c) => (c.hypergradient = { kind: 'piggyback' }))), /hypergradient\.kind: model "smooth-tv" has a smooth lower level, which needs hypergradient "implicit"/);
  });

  it('a name that is not a slug', async () => {
    refused(await trainBad(tiny((c) => (c.name = 'My Run'))), /name: must be a slug/);
  });

  it('checkpointEvery 0', async () => refused(await trainBad(tiny((c) => (c.checkpointEvery = 0))), /checkpointEvery: must be ≥ 1/));
});

describe('train and test images overlap', () => {
  it('the same photograph in train and test is refused, naming the key and the flag', async () => {
    refused(
      await trainBad(tiny((c) => (c.data.test.images = ['airplane-from-above']))),
      /data\.test\.images: "airplane-from-above" is also a training image, so the test numbers would not be held out/,
      /data\.allowTrainTestOverlap: true/,
    );
  });

  it('the same pixels under another file name are refused too', async () => {
    const images = join(dir, 'copies');
    const rng = Rng.seeded(3);
    const img = createImage(1, 32, 32, rng.fillUniform(new Float64Array(32 * 32)));
    writePng(join(images, 'a.png'), img);
    writeFileSync(join(images, 'copy-of-a.png'), encodePng(img));
    const c = tiny((x) => {
      x.data = {
        source: { folder: images },
        train: { images: ['a.png'], cropSize: 16, minStd: 0 },
        test: { images: ['copy-of-a.png'], cropSize: 16, minStd: 0 },
        degradation: { kind: 'noise', sigma: 0.1 },
      };
    });
    refused(await trainBad(c), /data\.test\.images: "copy-of-a\.png" is also a training image \(the same pixels as the training image "a\.png"\)/);
  });

  it('is accepted when allowed explicitly', async () => {
    const r = await trainBad(tiny((c) => ((c.data.test.images = ['airplane-from-above']), (c.data.allowTrainTestOverlap = true), (c.budget.iterations = 1))));
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(r.runDir, 'params.json'))).toBe(true);
  });
});

describe('image folders', () => {
  const folderConfig = (folder: string) =>
    tiny((c) => {
      c.data = { source: { folder }, train: { cropSize: 16, minStd: 0 }, test: { cropSize: 16, minStd: 0 }, degradation: { kind: 'noise', sigma: 0.1 } };
    });

  it('a missing folder is a file-system error naming it', async () => {
    refused(await trainBad(folderConfig(join(dir, 'no-such-folder'))), /cannot read the image folder .*no-such-folder: no such file or folder \(ENOENT\)/);
  });

  it('a folder without images', async () => {
    mkdirSync(join(dir, 'empty-images'));
    writeFileSync(join(dir, 'empty-images', 'notes.txt'), 'no pictures here');
    refused(await trainBad(folderConfig(join(dir, 'empty-images'))), /no PNG or JPEG files .* in .*empty-images/);
  });

  it('a corrupt PNG in the folder is named', async () => {
    const images = join(dir, 'with-corrupt');
    const rng = Rng.seeded(5);
    for (const name of ['a.png', 'b.png', 'c.png', 'd.png']) writePng(join(images, name), createImage(1, 32, 32, rng.fillUniform(new Float64Array(1024))));
    writeFileSync(join(images, 'e.png'), encodePng(createImage(1, 32, 32)).slice(0, 50));
    refused(await trainBad(folderConfig(images)), /e\.png: corrupt/);
  });
});

describe('a config error on an existing run', () => {
  it('leaves the run exactly as it was (no config.json replaced)', async () => {
    const run = await trainTiny(dir, 'kept', { budget: { iterations: 1 } });
    const before = snapshot(run);
    const r = await cli('train', writeConfig(dir, tiny((c) => (c.data.train.cropSize = 4096)), 'bad-on-run.json'), '--out', run, '--force', ...QUIET);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/data\.train\.cropSize/);
    expect(snapshot(run)).toEqual(before);
  });
});
