/**
 * Assemble the WebAssembly text sources `src/wasm/*.wat` of a package (with the SIMD feature)
 * into `src/wasm/*.wasm.ts` modules that embed the binary as base64, so the package needs no
 * build step or file loading at run time. Each package with kernels has a test that the
 * embedded bytes are those of its current sources (`assemble` + `wasmBase64`). A source with
 * the line `;; @shared-memory-variant` is also assembled with its memory import shared (the
 * threads feature; `wasmSharedBase64`), for instances that worker threads run on one memory.
 *
 * Run: `pnpm wasm` in the package (after editing a `.wat` file); it assembles the sources of the
 * current directory's `src/wasm`.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import wabtInit from 'wabt';

/** `src/wasm` of the package at `packageDir`. */
export function wasmDir(packageDir: string): string {
  return join(packageDir, 'src', 'wasm');
}

/** The index just past the balanced s-expression that opens at `text[start] === '('`. */
function closing(text: string, start: number): number {
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '(') depth++;
    else if (text[i] === ')' && --depth === 0) return i + 1;
  }
  throw new Error(`wasm: unbalanced parentheses from offset ${start}`);
}

/** The top-level s-expressions of `text` (arguments of a call). */
function expressions(text: string): string[] {
  const out: string[] = [];
  for (let i = text.indexOf('('); i >= 0; i = text.indexOf('(', i)) {
    const end = closing(text, i);
    out.push(text.slice(i, end));
    i = end;
  }
  return out;
}

/**
 * Expand the calls of the functions marked `;; @inline` (on the line before their `(func`) into
 * their bodies and drop the functions: V8 does not inline WebAssembly calls by default, and small
 * helpers called per pair of pixels cost as much as their work. A marked function must be one
 * expression of its parameters; its call sites must pass locals or constants (so duplicating an
 * argument neither repeats work nor side effects).
 */
export function inlineMarked(wat: string): string {
  const marked = /;;\s*@inline\s*\n\s*(?=\(func \$)/g;
  const helpers = new Map<string, { params: string[]; body: string }>();
  let out = wat;
  for (let m = marked.exec(out); m; m = marked.exec(out)) {
    const start = m.index + m[0].length;
    const end = closing(out, start);
    const head = /^\(func \$([\w.]+)((?:\s*\(param \$[\w.]+ \w+\))*)\s*\(result \w+\)\s*/.exec(out.slice(start, end));
    if (!head) throw new Error(`wasm: @inline function at offset ${start} must be (func $name (param $p t)… (result t) <expression>)`);
    const params = [...head[2]!.matchAll(/\(param \$([\w.]+) \w+\)/g)].map((p) => p[1]!);
    const body = out.slice(start + head[0].length, end - 1).trim();
    if (expressions(body).length !== 1) throw new Error(`wasm: @inline function $${head[1]} must be a single expression`);
    helpers.set(head[1]!, { params, body });
    out = out.slice(0, m.index) + out.slice(end);
    marked.lastIndex = m.index;
  }
  for (const [name, { params, body }] of helpers) {
    const call = `(call $${name} `;
    for (let i = out.indexOf(call); i >= 0; i = out.indexOf(call, i)) {
      const end = closing(out, i);
      const args = expressions(out.slice(i + call.length, end - 1));
      if (args.length !== params.length || !args.every((a) => /^\((local\.get \$[\w.]+|[fiv]\w*\.const [^()]*)\)$/.test(a))) {
        throw new Error(`wasm: call of @inline $${name} must pass ${params.length} locals or constants, got ${out.slice(i, end)}`);
      }
      // one pass, so an argument named like another parameter is not substituted again
      const expanded = body.replace(/\(local\.get \$([\w.]+)\)/g, (get, p: string) => (params.includes(p) ? args[params.indexOf(p)]! : get));
      out = out.slice(0, i) + expanded + out.slice(end);
    }
  }
  return out;
}

/** The marker line of a source that is also assembled with a shared memory. */
const SHARED_VARIANT = /^;;\s*@shared-memory-variant\b/m;

/** Whether `wat` asks for a shared-memory variant (`;; @shared-memory-variant`). */
export function hasSharedVariant(wat: string): boolean {
  return SHARED_VARIANT.test(wat);
}

/**
 * `wat` with its memory import `(import "env" "memory" (memory n))` made shared, with the
 * largest maximum (65536 pages, 4 GiB): a shared memory needs a maximum and never moves.
 */
export function sharedMemory(wat: string): string {
  const memory = /(\(import "env" "memory" \(memory )(\d+)\)\)/;
  if (!memory.test(wat)) throw new Error('wasm: a shared variant needs the memory import (import "env" "memory" (memory n))');
  return wat.replace(memory, '$1$2 65536 shared))');
}

/**
 * Assemble and validate one `.wat` file (SIMD enabled; functions marked `;; @inline` expanded);
 * with `shared`, its variant with a shared memory (threads feature).
 */
export async function assemble(watPath: string, options: { readonly shared?: boolean } = {}): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const features = { simd: true, threads: options.shared === true };
  const text = inlineMarked(readFileSync(watPath, 'utf8'));
  const module = wabt.parseWat(basename(watPath), options.shared ? sharedMemory(text) : text, features);
  try {
    // wabt's validate takes the features too (its typings omit them): threads for a shared memory
    (module.validate as (features: Record<string, boolean>) => void).call(module, features);
    return Uint8Array.from(module.toBinary({}).buffer);
  } finally {
    module.destroy();
  }
}

/** `bytes` as a base64 string constant spread over lines of 100 characters. */
function base64Lines(bytes: Uint8Array): string {
  const lines = Buffer.from(bytes).toString('base64').match(/.{1,100}/g) ?? [];
  return lines.map((l) => `  '${l}'`).join(' +\n') + ';';
}

/**
 * The TypeScript module embedding `bytes` (assembled from `watName`) as base64, and `shared`
 * (its shared-memory variant) when given.
 */
export function embed(bytes: Uint8Array, watName: string, shared?: Uint8Array): string {
  return [
    `// Generated by tooling/config/scripts/wasm.ts from ${watName}: do not edit (run \`pnpm wasm\`).`,
    '',
    `/** The WebAssembly binary assembled from \`${watName}\` (${bytes.length} bytes), base64. */`,
    'export const wasmBase64 =',
    base64Lines(bytes),
    '',
    ...(shared
      ? [
          `/** The same binary with a shared memory (${shared.length} bytes), base64: instances on one memory in several threads. */`,
          'export const wasmSharedBase64 =',
          base64Lines(shared),
          '',
        ]
      : []),
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const dir = wasmDir(process.cwd());
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.wat'))) {
    const path = join(dir, name);
    const bytes = await assemble(path);
    const shared = hasSharedVariant(readFileSync(path, 'utf8')) ? await assemble(path, { shared: true }) : undefined;
    const out = join(dir, name.replace(/\.wat$/, '.wasm.ts'));
    writeFileSync(out, embed(bytes, name, shared));
    console.log(`${name} → ${basename(out)} (${bytes.length} bytes${shared ? `, shared variant ${shared.length} bytes` : ''})`);
  }
}
