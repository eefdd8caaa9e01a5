/**
 * The main entry of `@bilevel/imaging` is browser-safe: bundled by esbuild for the browser with
 * every Node built-in forbidden (its dependencies included), it builds, and it decodes a bundled
 * photograph from bytes to the same image as the Node loader. The Node entry is the one that
 * needs `node:fs`.
 */
import { fileURLToPath } from 'node:url';
import { builtinModules } from 'node:module';
import { build, type Plugin } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { photographFromBytes } from '@bilevel/imaging';
import { loadPhotograph, photographPath, readBytes } from '@bilevel/imaging/node';

const builtins = new Set(builtinModules);

/** Fails the build on any import of a Node built-in (`node:*` or a bare `fs`, `path`, …) and records it. */
function forbidNodeBuiltins(seen: string[]): Plugin {
  return {
    name: 'forbid-node-builtins',
    setup(b) {
      b.onResolve({ filter: /.*/ }, (args) => {
        const bare = args.path.replace(/^node:/, '').split('/')[0]!;
        if (args.path.startsWith('node:') || builtins.has(bare)) {
          seen.push(`${args.path} (imported by ${args.importer})`);
          return { errors: [{ text: `Node built-in '${args.path}' imported by ${args.importer}` }] };
        }
        return undefined;
      });
    },
  };
}

async function bundle(entry: string): Promise<{ ok: boolean; seen: string[]; bytes: number }> {
  const seen: string[] = [];
  try {
    const r = await build({
      entryPoints: [fileURLToPath(new URL(entry, import.meta.url))],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      conditions: ['@bilevel/source'],
      logLevel: 'silent',
      plugins: [forbidNodeBuiltins(seen)],
    });
    return { ok: true, seen, bytes: r.outputFiles[0]!.contents.length };
  } catch {
    return { ok: false, seen, bytes: 0 };
  }
}

describe('browser entry', () => {
  it('bundles for the browser with no Node built-in anywhere in its import graph', async () => {
    const r = await bundle('../src/index.ts');
    expect(r.seen).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.bytes).toBeGreaterThan(10_000);
  });

  it('the check can fail: the Node entry pulls in node:fs', async () => {
    const r = await bundle('../src/node.ts');
    expect(r.ok).toBe(false);
    expect(r.seen.some((s) => s.startsWith('node:fs'))).toBe(true);
  });

  it('photographFromBytes gives the image loadPhotograph reads from disk', () => {
    const bytes = readBytes(photographPath('nagasaki-boats'));
    const a = photographFromBytes('nagasaki-boats', bytes, { gray: true, maxSide: 96 });
    const b = loadPhotograph('nagasaki-boats', { gray: true, maxSide: 96 });
    expect(a.channels).toBe(1);
    expect(Math.max(a.width, a.height)).toBe(96);
    expect(a.data).toEqual(b.data);
    expect(() => photographFromBytes('no-such' as 'nagasaki-boats', bytes)).toThrow(/unknown photograph 'no-such'/);
  });
});
