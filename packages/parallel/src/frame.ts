/**
 * The wire form of per-sample work: one binary frame per message, JSON for the structure and the
 * raw little-endian bytes of every `Float64Array` (never a JSON list of numbers), and SHA-256
 * digests that name θ, warm states and problems by their bits.
 *
 * Frame layout: `u32 headerBytes`, the UTF-8 JSON header (typed arrays replaced by
 * `{"$f64": k}`, non-finite numbers by `{"$num": "NaN" | "Infinity" | "-Infinity" | "-0"}`), zero
 * padding to a multiple of 8, then per array, in order, its length (`u64`) and its bytes.
 * @module
 */
import { createHash } from 'node:crypto';
import { ValidationError } from '@bilevel/core';

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

function specialNumber(v: number): string | undefined {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  if (Object.is(v, -0)) return '-0';
  return undefined;
}

/**
 * Encode `value` (plain objects, arrays, strings, booleans, null, numbers — every float64,
 * `NaN` and `-0` included — and `Float64Array`s) as one binary frame.
 */
export function encodeFrame(value: unknown): Uint8Array {
  if (!LITTLE_ENDIAN) throw new ValidationError('encodeFrame: a little-endian platform is required');
  const arrays: Float64Array[] = [];
  const walk = (v: unknown): unknown => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      const s = specialNumber(v);
      return s === undefined ? v : { $num: s };
    }
    if (v instanceof Float64Array) {
      arrays.push(v);
      return { $f64: arrays.length - 1 };
    }
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object' && !ArrayBuffer.isView(v)) {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) if (x !== undefined) out[k] = walk(x);
      return out;
    }
    throw new ValidationError(`encodeFrame: cannot encode a value of type ${typeof v === 'object' ? v.constructor.name : typeof v}`);
  };
  const header = new TextEncoder().encode(JSON.stringify(walk(value)));
  const start = Math.ceil((4 + header.length) / 8) * 8;
  let total = start;
  for (const a of arrays) total += 8 + a.byteLength;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  view.setUint32(0, header.length, true);
  out.set(header, 4);
  let o = start;
  for (const a of arrays) {
    view.setBigUint64(o, BigInt(a.length), true);
    o += 8;
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), o);
    o += a.byteLength;
  }
  return out;
}

/** Inverse of {@link encodeFrame}: fresh `Float64Array`s, every number bit for bit. */
export function decodeFrame(frame: Uint8Array): unknown {
  if (frame.length < 4) throw new ValidationError(`decodeFrame: ${frame.length} bytes is not a frame`);
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const headerBytes = view.getUint32(0, true);
  if (4 + headerBytes > frame.length) throw new ValidationError('decodeFrame: the header runs past the end of the frame');
  const header = JSON.parse(new TextDecoder().decode(frame.subarray(4, 4 + headerBytes))) as unknown;
  const start = Math.ceil((4 + headerBytes) / 8) * 8;
  // Array k's offset is only known after arrays 0…k−1: collect the references, then slice in order.
  const refs: { holder: Record<string | number, unknown>; key: string | number; index: number }[] = [];
  const walk = (v: unknown, holder: Record<string | number, unknown>, key: string | number): void => {
    if (v === null || typeof v !== 'object') return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, v as unknown as Record<number, unknown>, i));
      return;
    }
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '$f64' && typeof o.$f64 === 'number') {
      refs.push({ holder, key, index: o.$f64 });
      return;
    }
    if (keys.length === 1 && keys[0] === '$num' && typeof o.$num === 'string') {
      holder[key] = Number(o.$num);
      return;
    }
    for (const k of keys) walk(o[k], o, k);
  };
  const root: Record<string, unknown> = { value: header };
  walk(header, root, 'value');
  refs.sort((a, b) => a.index - b.index);
  let o = start;
  for (const [k, r] of refs.entries()) {
    if (r.index !== k) throw new ValidationError(`decodeFrame: array references are not 0…${refs.length - 1} (found ${r.index} at ${k})`);
    if (o + 8 > frame.length) throw new ValidationError('decodeFrame: the arrays run past the end of the frame');
    const n = Number(view.getBigUint64(o, true));
    o += 8;
    if (o + 8 * n > frame.length) throw new ValidationError('decodeFrame: the arrays run past the end of the frame');
    const a = new Float64Array(n);
    new Uint8Array(a.buffer).set(frame.subarray(o, o + 8 * n));
    o += 8 * n;
    r.holder[r.key] = a;
  }
  if (o !== frame.length) throw new ValidationError(`decodeFrame: ${frame.length - o} bytes left over after the arrays`);
  return root.value;
}

/** SHA-256 (hex) over the given parts: strings as UTF-8, typed arrays by their bytes. */
export function digest(...parts: readonly (string | number | ArrayBufferView)[]): string {
  const h = createHash('sha256');
  for (const p of parts) {
    if (typeof p === 'string') h.update(`s${p.length}:`).update(p);
    else if (typeof p === 'number') h.update(`n:${specialNumber(p) ?? String(p)};`);
    else h.update(`b${p.byteLength}:`).update(new Uint8Array(p.buffer, p.byteOffset, p.byteLength));
  }
  return h.digest('hex');
}

/** Bytes of the binary payload of a message: its typed arrays (what a `postMessage` copies besides small scalars). */
export function payloadBytes(value: unknown): number {
  if (ArrayBuffer.isView(value)) return value.byteLength;
  if (value === null || typeof value !== 'object') return 0;
  let n = 0;
  for (const v of Array.isArray(value) ? value : Object.values(value as Record<string, unknown>)) n += payloadBytes(v);
  return n;
}
