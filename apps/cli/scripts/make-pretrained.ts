/**
 * Turn a completed run into a pretrained model of apps/cli/models (maintainers' step; see
 * apps/cli/models/README.md):
 *
 *   pnpm --filter @bilevel/cli exec tsx scripts/make-pretrained.ts <run-dir> <name> <config-file> \
 *     [--images stdlib:test] [--crops 7] [--crop-size 64] [--max-side 256] [--seed 0] [--commit <sha>]
 *
 * writes models/<name>.json with the command that retrains it (`bilevel train <config-file>`)
 * and the numbers `bilevel eval --model <name>` reproduces. A relative `--images` folder is taken
 * from the repository root (as `provenance.evaluation.images` is read).
 */
import { writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { MODELS_DIR, configDirOf, loadExperimentConfig, pretrainedModelJson } from '../src/index.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    images: { type: 'string', default: 'stdlib:test' },
    crops: { type: 'string' },
    'crop-size': { type: 'string' },
    'max-side': { type: 'string' },
    seed: { type: 'string', default: '0' },
    commit: { type: 'string' },
  },
});
const [runDir, name, configFile] = positionals;
if (!runDir || !name || !configFile) throw new Error('usage: make-pretrained.ts <run-dir> <name> <config-file> [--images …] [--crops N] [--crop-size N] [--max-side N] [--seed S]');
const int = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number.parseInt(v, 10));
const evaluation = {
  images: values.images!,
  ...(values.crops ? { crops: int(values.crops)! } : {}),
  ...(values['crop-size'] ? { cropSize: int(values['crop-size'])! } : {}),
  ...(values['max-side'] ? { maxSide: int(values['max-side'])! } : {}),
  seed: int(values.seed)!,
};
// paths are given from here; the model's command and a relative `--images` folder are from the repository root
const root = join(MODELS_DIR, '..', '..', '..');
const [run, configPath] = [resolve(runDir), resolve(configFile)];
const command = `bilevel train ${relative(root, configPath)} --out runs/${name}`;
const config = loadExperimentConfig(configPath);
process.chdir(root);
const text = pretrainedModelJson(run, { name, command, config, configDir: configDirOf(configPath), evaluation, ...(values.commit ? { commit: values.commit } : {}), write: (l) => console.log(l) });
writeFileSync(join(MODELS_DIR, `${name}.json`), text);
console.log(`wrote ${join(MODELS_DIR, `${name}.json`)}`);
