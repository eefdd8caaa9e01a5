import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ALLOW_LIST_FILE,
  checkRepository,
  checkWithAllowList,
  docCitations,
  githubSlug,
  headingAnchors,
  markdownLinks,
  parseAllowList,
} from '../src/links.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('GitHub heading slugs', () => {
  it('match the anchors GitHub renders for headings of the docs', () => {
    expect(githubSlug('Lemma 2')).toBe('lemma-2');
    expect(githubSlug('Eq. (16) with the cross term')).toBe('eq-16-with-the-cross-term');
    expect(githubSlug("MAID's bound (Theorem 2.1)")).toBe('maids-bound-theorem-21');
    expect(githubSlug('Route X: through B1 at the pair')).toBe('route-x-through-b1-at-the-pair');
    expect(githubSlug('Assembly with `paramVjp`')).toBe('assembly-with-paramvjp');
    expect(githubSlug('See [the map](x.md#y) – now')).toBe('see-the-map--now');
    expect(githubSlug('snake_case and *emphasis*')).toBe('snake_case-and-emphasis');
    expect(githubSlug('Ergebnis für μ_g')).toBe('ergebnis-für-μ_g');
  });

  it('number repeated headings and skip fenced code', () => {
    const md = ['# Title', '## Step', 'text', '```', '## Not a heading', '```', '## Step', '<a id="old-name"></a>', '### Step ###'].join('\n');
    expect([...headingAnchors(md)]).toEqual(['title', 'step', 'step-1', 'old-name', 'step-2']);
  });
});

describe('link extraction', () => {
  it('finds relative links and reference definitions, not URLs, code spans or fenced code', () => {
    const md = [
      'See [a](a.md#x), ![img](pics/p.png "title") and [web](https://example.org/a.md).',
      '`[not](a link)` and [anchor](#local)',
      '```',
      '[in code](nope.md)',
      '```',
      '[ref]: ../b.md',
    ].join('\n');
    expect(markdownLinks(md)).toEqual([
      { target: 'a.md#x', line: 1 },
      { target: 'pics/p.png', line: 1 },
      { target: '#local', line: 2 },
      { target: '../b.md', line: 6 },
    ]);
  });

  it('finds docs/… citations with and without anchors', () => {
    const ts = '// see docs/math/certificates.md#lemma-2 and docs/architecture.md.\n// not mydocs/x.md, not docs/<page>.md';
    expect(docCitations(ts)).toEqual([
      { target: 'docs/math/certificates.md#lemma-2', line: 1 },
      { target: 'docs/architecture.md', line: 1 },
    ]);
  });
});

describe('checkRepository on a fixture', () => {
  const root = mkdtempSync(join(tmpdir(), 'docs-check-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  const write = (path: string, text: string): void => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  write('docs/README.md', '# Docs\n\n## Citing\n\n[ok](math/a.md#lemma-1), [bad anchor](math/a.md#lemma-9), [missing](math/b.md), [up](../../x.md)\n');
  write('docs/math/a.md', '# A\n\n## Lemma 1\n\n[self](#a) [self bad](#nope)\n');
  write('packages/p/src/x.ts', '/** docs/math/a.md#lemma-1 docs/math/a.md#lemma-2 (piggyback-pdhg.md §3) */\n');
  write('packages/p/src/y.ts', '// DESIGN.md §2\n');
  write('packages/p/src/z.js', '// ../shared/notes\n');

  it('reports every broken link, anchor and citation, and outside citations not allow-listed', () => {
    const r = checkRepository(root, parseAllowList('packages/p/src/x.ts piggyback-pdhg.md  # tolerated for now\npackages/p/src/gone.ts DESIGN.md\n'));
    const seen = r.problems.map((p) => `${p.file}:${p.line} ${p.message.split(':')[0]}`);
    expect(seen).toEqual([
      'docs/README.md:5 link math/a.md#lemma-9',
      'docs/README.md:5 link math/b.md',
      'docs/README.md:5 link ../../x.md',
      'docs/math/a.md:5 link #nope',
      'packages/p/src/x.ts:1 citation docs/math/a.md#lemma-2',
      'packages/p/src/y.ts:1 cites "DESIGN.md", a document outside the repository',
      'packages/p/src/z.js:1 cites "../shared", a document outside the repository',
    ]);
    expect(r.stale).toEqual(['packages/p/src/gone.ts DESIGN.md']);
    expect(r.links).toBe(8);
  });

  it('rejects an allow-list line whose pattern is not an outside pattern', () => {
    expect(() => parseAllowList('packages/p/src/x.ts README.md')).toThrow(/allow-list line 1/);
  });
});

describe('this repository', () => {
  it(`has no broken link or citation and no outside citation beyond ${ALLOW_LIST_FILE}`, () => {
    const r = checkWithAllowList(repoRoot);
    expect(r.problems.map((p) => `${p.file}:${p.line} ${p.message}`)).toEqual([]);
    expect(r.stale, `stale entries of ${ALLOW_LIST_FILE}: delete these lines`).toEqual([]);
    expect(r.links).toBeGreaterThan(50);
  });

  it(`tolerates no outside citation at all: ${ALLOW_LIST_FILE} has no entries`, () => {
    expect(parseAllowList(readFileSync(join(repoRoot, ALLOW_LIST_FILE), 'utf8'))).toEqual([]);
  });
});
