import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXPERIMENTS_DIR, EXPERIMENT_ORDER, experimentJsonSchema, listExperiments, loadExperimentConfig, parseExperimentConfig } from '@bilevel/cli';
import { jsonErrorOffset } from '../src/config/load.js';
import { cli, tempDir, tinyConfig, writeConfig } from './helpers.js';

function issuesOf(value: unknown): string {
  try {
    parseExperimentConfig(value, 'test.json');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a validation error');
}

describe('experiment configs', () => {
  it('validates every bundled experiment, with the default first', () => {
    const list = listExperiments();
    // the ranked ones in EXPERIMENT_ORDER, then the others by name
    expect(EXPERIMENT_ORDER[0]).toBe('smooth-tv-denoising');
    expect(list.map((e) => e.id)).toEqual([...EXPERIMENT_ORDER, 'tgv-denoising']);
    for (const e of list) {
      expect(e.config.name).toBe(e.id);
      expect(e.config.description.length).toBeGreaterThan(20);
    }
  });

  it('fills in defaults', () => {
    const c = parseExperimentConfig(tinyConfig());
    expect(c.checkpointEvery).toBe(2);
    expect(c.data.source).toBe('stdlib');
    expect(c.data.gray).toBe(true);
    expect(c.hypergradient.kind === 'implicit' && c.hypergradient.loss).toBe('sum');
    expect(c.eval.epsilon).toBe(1e-4);
  });

  it('rejects unknown keys with a message naming the key, its path and the allowed keys', () => {
    const msg = issuesOf({ ...tinyConfig(), colour: true, model: { kind: 'smooth-tv', filters: 3 } });
    expect(msg).toContain('invalid experiment config test.json');
    expect(msg).toMatch(/\(root\): unknown key "colour"/);
    expect(msg).toMatch(/model: unknown key "filters" \(allowed keys here: kind, mode, boundary, init, ridge\)/);
  });

  it('rejects wrong types and values with the path of each', () => {
    const c = tinyConfig({ budget: { iterations: 'ten' }, seed: 1.5 });
    const msg = issuesOf(c);
    expect(msg).toMatch(/budget\.iterations: .*expected number, received string/);
    expect(msg).toMatch(/seed: .*int/);
    expect(issuesOf(tinyConfig({ model: { kind: 'no-such-kind' } }))).toMatch(/model: "kind" must be one of 'smooth-tv', 'huber-tv', 'foe'/);
    const blur = tinyConfig();
    (blur.data as Record<string, unknown>).degradation = { kind: 'blur', size: 4, noise: 0.01 };
    expect(issuesOf(blur)).toMatch(/data\.degradation\.size: must be odd/);
  });

  it('checks combinations: model form vs hypergradient, MAID vs unbounded models', () => {
    expect(issuesOf(tinyConfig({ hypergradient: { kind: 'piggyback' } }))).toMatch(/model "smooth-tv" has a smooth lower level, which needs hypergradient "implicit"/);
    const isotropic = tinyConfig({ model: { kind: 'smooth-tv', mode: 'isotropic' }, optimizer: { kind: 'maid' } });
    expect(issuesOf(isotropic)).toMatch(/needs a finite hypergradient error bound/);
    // the smooth FoE has certified constants: MAID may train it
    expect(() => parseExperimentConfig(tinyConfig({ model: { kind: 'foe', filters: 4, filterSize: 5 }, optimizer: { kind: 'maid' } }))).not.toThrow();
    expect(issuesOf(tinyConfig({ optimizer: { kind: 'adaptive-piggyback' } }))).toMatch(/adaptive-piggyback/);
  });

  it('reports JSON syntax errors with line and column, and missing files by name', async () => {
    const dir = tempDir();
    const bad = join(dir, 'bad.json');
    writeConfig(dir, {}, 'bad.json');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, '{\n  "name": "x",\n  "seed": ,\n}\n');
    expect(() => loadExperimentConfig(bad)).toThrow(/is not valid JSON at line 3, column/);
    expect(() => loadExperimentConfig(join(dir, 'nope.json'))).toThrow(/config file not found/);
    const r = await cli('train', join(dir, 'nope.json'));
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/error: config file not found/);
  });

  it('exports the JSON Schema, and the checked-in copy is up to date', async () => {
    const schema = experimentJsonSchema() as { properties: Record<string, unknown>; additionalProperties: boolean; required: string[] };
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['name', 'data', 'model', 'hypergradient', 'optimizer', 'budget']));
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'data', 'model', 'hypergradient', 'optimizer', 'budget']));
    const r = await cli('schema');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual(schema);
    const checkedIn = JSON.parse(readFileSync(join(EXPERIMENTS_DIR, '..', 'experiment.schema.json'), 'utf8'));
    // regenerate it after adding a model kind: `npx tsx --conditions=@bilevel/source src/main.ts schema --out experiment.schema.json` in apps/cli
    expect(checkedIn, 'apps/cli/experiment.schema.json is stale: regenerate it with `bilevel schema --out apps/cli/experiment.schema.json`').toEqual(schema);
  });
});

describe('probe configs (apps/cli/experiments/probes)', () => {
  it('each is a valid experiment config whose model references resolve (the measurements the READMEs quote rerun from them)', () => {
    const dir = join(EXPERIMENTS_DIR, 'probes');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThanOrEqual(1);
    for (const f of files) {
      const config = loadExperimentConfig(join(dir, f));
      expect(config.name, f).toBe(f.replace(/\.json$/, ''));
      expect((config.model as { init?: { experts?: unknown } }).init?.experts, f).not.toBeTypeOf('string');
    }
  });
});

describe('bilevel experiments / usage', () => {
  it('lists the bundled experiments, one line each', async () => {
    const r = await cli('experiments');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines).toHaveLength(readdirSync(EXPERIMENTS_DIR).filter((f) => f.endsWith('.json')).length);
    expect(lines.find((l) => l.startsWith('smooth-tv-denoising'))).toMatch(/MAID/);
  });

  it('lists the bundled photographs', async () => {
    const r = await cli('experiments', '--photographs');
    expect(r.out).toMatch(/nagasaki-boats\s+test/);
  });

  it('exits with 2 on usage errors', async () => {
    expect((await cli('train')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('denoise', 'a.png', 'b.png')).code).toBe(2);
    expect((await cli('--help')).code).toBe(0);
  });
});

describe('jsonErrorOffset', () => {
  it('is -1 exactly for the texts JSON.parse accepts, else the offset of the first error', () => {
    const valid = ['{}', '[ ]', '{"a":[1,2,{"b":null}]}', '[[[]]]', ' [1, {"x": "y\\"z"}, -0.5e3, true, false] '];
    for (const t of valid) {
      expect(() => JSON.parse(t)).not.toThrow();
      expect(jsonErrorOffset(t)).toBe(-1);
    }
    const invalid: [string, number][] = [['[1,]', 3], ['{"a" 1}', 5], ['[1 2]', 3], ['{"a":1,}', 7], ['{,}', 1], ['[,1]', 1], ['[', 1], ['{"a":{"b":[true,false]}} x', 25]];
    for (const [t, at] of invalid) {
      expect(() => JSON.parse(t)).toThrow();
      expect(jsonErrorOffset(t)).toBe(at);
    }
  });
});
