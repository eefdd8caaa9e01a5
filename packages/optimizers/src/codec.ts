/**
 * Lossless JSON encoding of optimizer state: `Float64Array`s as base64 of their little-endian
 * IEEE-754 bytes, `Map`s as entry lists, and the numbers JSON cannot hold (`NaN`, `±Infinity`,
 * `-0`) as tagged strings. `decodeJson(encodeJson(v))` reproduces `v` bit for bit, which is what
 * makes a resumed run continue the exact trajectory of an uninterrupted one.
 * @module
 */
import { ValidationError } from '@bilevel/core';

/** A value that `JSON.stringify` round-trips exactly. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < B64.length; i++) B64_INDEX[B64.charCodeAt(i)] = i;

/** Standard base64 (RFC 4648, with `=` padding) of a byte array; no platform dependency. */
export function bytesToBase64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chunk += B64[(v >> 18) & 63]! + B64[(v >> 12) & 63]! + B64[(v >> 6) & 63]! + B64[v & 63]!;
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  if (i < n) {
    const b0 = bytes[i]!;
    const b1 = i + 1 < n ? bytes[i + 1]! : 0;
    const v = (b0 << 16) | (b1 << 8);
    chunk += B64[(v >> 18) & 63]! + B64[(v >> 12) & 63]!;
    chunk += i + 1 < n ? B64[(v >> 6) & 63]! + '=' : '==';
  }
  parts.push(chunk);
  return parts.join('');
}

/** Inverse of {@link bytesToBase64}; throws a `ValidationError` on malformed input. */
export function base64ToBytes(s: string): Uint8Array {
  if (s.length % 4 !== 0) throw new ValidationError(`base64: length ${s.length} is not a multiple of 4`);
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    let v = 0;
    for (let j = 0; j < 4; j++) {
      const c = s.charCodeAt(i + j);
      const d = c === 61 /* '=' */ && i + 4 === s.length && j >= 4 - pad ? 0 : c < 128 ? B64_INDEX[c]! : -1;
      if (d < 0) throw new ValidationError(`base64: invalid character at ${i + j}`);
      v = (v << 6) | d;
    }
    if (o < out.length) out[o++] = (v >> 16) & 255;
    if (o < out.length) out[o++] = (v >> 8) & 255;
    if (o < out.length) out[o++] = v & 255;
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f;

/** Base64 of the little-endian IEEE-754 bytes of `a` (lossless, including NaN payloads and `-0`). */
export function float64ToBase64(a: Float64Array): string {
  if (LITTLE_ENDIAN) return bytesToBase64(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  const bytes = new Uint8Array(a.length * 8);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < a.length; i++) view.setFloat64(8 * i, a[i]!, true);
  return bytesToBase64(bytes);
}

/** Inverse of {@link float64ToBase64}: a fresh `Float64Array`. */
export function base64ToFloat64(s: string): Float64Array {
  const bytes = base64ToBytes(s);
  if (bytes.length % 8 !== 0) throw new ValidationError(`base64 float64 data: ${bytes.length} bytes is not a multiple of 8`);
  const out = new Float64Array(bytes.length / 8);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < out.length; i++) out[i] = view.getFloat64(8 * i, true);
  return out;
}

function encodeNumber(v: number): JsonValue {
  if (Number.isNaN(v)) return { $number: 'NaN' };
  if (v === Infinity) return { $number: 'Infinity' };
  if (v === -Infinity) return { $number: '-Infinity' };
  if (Object.is(v, -0)) return { $number: '-0' };
  return v;
}

/**
 * Encode `value` as JSON-compatible data, losslessly:
 * `Float64Array → {$float64: base64}`, `Map → {$map: [[key, value], …]}`,
 * non-finite numbers and `-0` → `{$number: 'NaN' | 'Infinity' | '-Infinity' | '-0'}`;
 * plain objects and arrays recursively (object keys starting with `$` are escaped as `$$…`);
 * `undefined` object entries are dropped (as `JSON.stringify` does). Other types are rejected.
 */
export function encodeJson(value: unknown): JsonValue {
  if (value === null) return null;
  switch (typeof value) {
    case 'number':
      return encodeNumber(value);
    case 'string':
    case 'boolean':
      return value;
    case 'object':
      break;
    default:
      throw new ValidationError(`encodeJson: cannot encode a value of type ${typeof value}`);
  }
  if (value instanceof Float64Array) return { $float64: float64ToBase64(value) };
  if (value instanceof Map) return { $map: [...value.entries()].map(([k, v]) => [encodeJson(k), encodeJson(v)]) };
  if (Array.isArray(value)) return value.map((v) => encodeJson(v));
  if (ArrayBuffer.isView(value)) throw new ValidationError('encodeJson: only Float64Array typed arrays are supported');
  const out: Record<string, JsonValue> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === undefined) continue;
    out[k.startsWith('$') ? `$${k}` : k] = encodeJson(v);
  }
  return out;
}

/** Inverse of {@link encodeJson}. */
export function decodeJson(json: unknown): unknown {
  if (json === null || typeof json === 'string' || typeof json === 'boolean' || typeof json === 'number') return json;
  if (Array.isArray(json)) return json.map((v) => decodeJson(v));
  if (typeof json !== 'object') throw new ValidationError(`decodeJson: unexpected ${typeof json}`);
  const o = json as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length === 1) {
    const k = keys[0]!;
    const v = o[k];
    if (k === '$float64' && typeof v === 'string') return base64ToFloat64(v);
    if (k === '$number' && typeof v === 'string') {
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      if (v === '-0') return -0;
      throw new ValidationError(`decodeJson: unknown $number tag ${v}`);
    }
    if (k === '$map' && Array.isArray(v)) {
      return new Map(
        v.map((e) => {
          if (!Array.isArray(e) || e.length !== 2) throw new ValidationError('decodeJson: a $map entry must be a [key, value] pair');
          return [decodeJson(e[0]), decodeJson(e[1])] as const;
        }),
      );
    }
  }
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (k.startsWith('$') && !k.startsWith('$$')) throw new ValidationError(`decodeJson: unknown tag ${k}`);
    out[k.startsWith('$$') ? k.slice(1) : k] = decodeJson(o[k]);
  }
  return out;
}
