/**
 * The example of every package and app README (its first ```ts block) is type-checked and run
 * as a consumer would: from a fresh folder whose node_modules holds only the @bilevel packages,
 * with the workspace packages allowed to import only their declared runtime dependencies
 * (../consumer/hooks.mjs: no devDependencies, no optional peers such as vitest).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');
const require = createRequire(import.meta.url);

interface Readme {
  /** Package name, e.g. `@bilevel/core`. */
  readonly name: string;
  /** Package directory. */
  readonly dir: string;
  /** The first ```ts block of its README, if any. */
  readonly example: string | undefined;
}

/** The first fenced ```ts block of a markdown text. */
function firstTsBlock(markdown: string): string | undefined {
  return /^```ts\n([\s\S]*?)^```$/m.exec(markdown)?.[1];
}

const readmes: Readme[] = ['packages', 'apps'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((d) => join(root, group, d))
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => ({
      name: (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name: string }).name,
      dir,
      example: existsSync(join(dir, 'README.md')) ? firstTsBlock(readFileSync(join(dir, 'README.md'), 'utf8')) : undefined,
    })),
);

const fileOf = (r: Readme): string => `${r.name.replace(/^@bilevel\//, '')}.ts`;

let consumer = '';

beforeAll(() => {
  consumer = mkdtempSync(join(tmpdir(), 'bilevel-readme-'));
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'readme-examples', private: true, type: 'module' }));
  mkdirSync(join(consumer, 'node_modules', '@bilevel'), { recursive: true });
  for (const r of readmes) {
    symlinkSync(r.dir, join(consumer, 'node_modules', r.name), 'dir');
    if (r.example !== undefined) writeFileSync(join(consumer, fileOf(r)), r.example);
  }
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify({
      extends: join(root, 'tooling', 'config', 'tsconfig.base.json'),
      compilerOptions: { noEmit: true, typeRoots: [join(root, 'node_modules', '@types')] },
      include: ['*.ts'],
    }),
  );
});

afterAll(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe('README examples', () => {
  it('every package and app README has a ```ts example', () => {
    expect(readmes.filter((r) => r.example === undefined).map((r) => r.name)).toEqual([]);
    expect(readmes.length).toBeGreaterThanOrEqual(9);
  });

  it('type-check with the workspace settings (strict, @bilevel/source)', () => {
    const tsc = require.resolve('typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '-p', join(consumer, 'tsconfig.json')], { encoding: 'utf8' });
    expect(r.stdout + r.stderr, 'tsc errors in README examples (file = package)').toBe('');
    expect(r.status).toBe(0);
  });

  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const hooks = pathToFileURL(join(root, 'tooling', 'config', 'consumer', 'register.mjs')).href;
  for (const r of readmes.filter((x) => x.example !== undefined)) {
    it(`${r.name} example runs as a consumer of the published packages`, () => {
      try {
        execFileSync(process.execPath, ['--import', tsx, '--import', hooks, '--conditions=@bilevel/source', fileOf(r)], {
          cwd: consumer,
          encoding: 'utf8',
          stdio: 'pipe',
          env: { ...process.env, NODE_OPTIONS: '' },
        });
      } catch (e) {
        const err = e as { status: number | null; stderr: string; stdout: string };
        expect.fail(`${r.name} README example exited with ${err.status}:\n${err.stderr || err.stdout}`);
      }
    });
  }
});
