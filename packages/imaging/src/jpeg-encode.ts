/**
 * A baseline JPEG encoder (ITU-T T.81, sequential DCT, Huffman) for gray (one component) and
 * colour (three components, YCbCr 4:4:4) images, with the example quantisation and Huffman
 * tables of Annex K scaled by the IJG quality rule. jpeg-js, the decoder of this package, only
 * writes three-component files; this encoder keeps a gray image gray.
 * @module
 */
import { ValidationError } from '@bilevel/core';

/** Natural (row-major) index → position in the zig-zag sequence (T.81 Figure A.6). */
const ZIGZAG = [
  0, 1, 5, 6, 14, 15, 27, 28, 2, 4, 7, 13, 16, 26, 29, 42, 3, 8, 12, 17, 25, 30, 41, 43, 9, 11, 18, 24, 31, 40, 44, 53, 10, 19, 23, 32, 39, 45, 52, 54, 20,
  22, 33, 38, 46, 51, 55, 60, 21, 34, 37, 47, 50, 56, 59, 61, 35, 36, 48, 49, 57, 58, 62, 63,
];

/** Luminance quantisation table, natural order (T.81 Table K.1). */
const LUMA_Q = [
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109,
  103, 77, 24, 35, 55, 64, 81, 104, 113, 92, 49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
];

/** Chrominance quantisation table, natural order (T.81 Table K.2). */
const CHROMA_Q = [
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99, ...new Array<number>(32).fill(99),
];

/** A Huffman table as in a DHT segment: code counts per length 1…16 and the symbols. */
interface HuffmanSpec {
  readonly counts: readonly number[];
  readonly symbols: readonly number[];
}

const DC_LUMA: HuffmanSpec = { counts: [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0], symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
const DC_CHROMA: HuffmanSpec = { counts: [0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], symbols: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] };
/** Tables K.5 (luminance AC) and K.6 (chrominance AC). */
const AC_LUMA: HuffmanSpec = {
  counts: [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d],
  symbols: [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07, 0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23,
    0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0, 0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64,
    0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92, 0x93, 0x94,
    0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2,
    0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8,
    0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};
const AC_CHROMA: HuffmanSpec = {
  counts: [0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77],
  symbols: [
    0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71, 0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1,
    0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0, 0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63,
    0x64, 0x65, 0x66, 0x67, 0x68, 0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x92,
    0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9,
    0xba, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7,
    0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa,
  ],
};

/** Code and length of every symbol of a table (the canonical codes of T.81 Annex C). */
interface HuffmanCodes {
  readonly code: Uint16Array;
  readonly length: Uint8Array;
}

function huffmanCodes(spec: HuffmanSpec): HuffmanCodes {
  const code = new Uint16Array(256);
  const length = new Uint8Array(256);
  let next = 0;
  let k = 0;
  for (let len = 1; len <= 16; len++) {
    for (let i = 0; i < spec.counts[len - 1]!; i++) {
      const s = spec.symbols[k++]!;
      code[s] = next++;
      length[s] = len;
    }
    next <<= 1;
  }
  return { code, length };
}

/** The IJG quality scaling of a base table (quality 1…100; 50 is the table itself), natural order. */
function scaledTable(base: readonly number[], quality: number): Uint8Array {
  const q = Math.min(100, Math.max(1, Math.round(quality)));
  const scale = q < 50 ? 5000 / q : 200 - 2 * q;
  return Uint8Array.from(base, (v) => Math.min(255, Math.max(1, Math.floor((v * scale + 50) / 100))));
}

/** Entropy-coded bits, with a 0x00 stuffed after every 0xFF byte (T.81 F.1.2.3). */
class BitWriter {
  readonly bytes: number[] = [];
  private acc = 0;
  private count = 0;

  write(code: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.acc = (this.acc << 1) | ((code >> i) & 1);
      if (++this.count === 8) this.emit();
    }
  }

  private emit(): void {
    this.bytes.push(this.acc);
    if (this.acc === 0xff) this.bytes.push(0);
    this.acc = 0;
    this.count = 0;
  }

  /** Pad the last byte with 1-bits. */
  flush(): void {
    if (this.count > 0) this.write((1 << (8 - this.count)) - 1, 8 - this.count);
  }
}

/** cos((2x + 1)uπ/16)·C(u)/2 with C(0) = 1/√2: the 1-D DCT-II matrix of T.81 A.3.3. */
const DCT = (() => {
  const m = new Float64Array(64);
  for (let u = 0; u < 8; u++) {
    for (let x = 0; x < 8; x++) m[u * 8 + x] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
  }
  return m;
})();

/** Bits needed for |v| (the "category" SSSS of T.81 F.1.2). */
function category(v: number): number {
  let a = Math.abs(v);
  let n = 0;
  while (a > 0) {
    n++;
    a >>= 1;
  }
  return n;
}

/** One component of the scan: samples (level-shifted by −128), quantiser and Huffman tables. */
interface Component {
  readonly samples: Float64Array;
  readonly quant: Uint8Array;
  readonly dc: HuffmanCodes;
  readonly ac: HuffmanCodes;
  pred: number;
}

function encodeBlock(bits: BitWriter, c: Component, width: number, height: number, by: number, bx: number, block: Float64Array, tmp: Float64Array, zz: Int32Array): void {
  // 8×8 samples with edge replication past the image border
  for (let y = 0; y < 8; y++) {
    const row = Math.min(by * 8 + y, height - 1) * width;
    for (let x = 0; x < 8; x++) block[y * 8 + x] = c.samples[row + Math.min(bx * 8 + x, width - 1)]!;
  }
  // separable 2-D DCT: rows, then columns
  for (let y = 0; y < 8; y++) {
    for (let u = 0; u < 8; u++) {
      let s = 0;
      for (let x = 0; x < 8; x++) s += DCT[u * 8 + x]! * block[y * 8 + x]!;
      tmp[y * 8 + u] = s;
    }
  }
  for (let u = 0; u < 8; u++) {
    for (let v = 0; v < 8; v++) {
      let s = 0;
      for (let y = 0; y < 8; y++) s += DCT[v * 8 + y]! * tmp[y * 8 + u]!;
      const k = v * 8 + u;
      zz[ZIGZAG[k]!] = Math.round(s / c.quant[k]!);
    }
  }
  const diff = zz[0]! - c.pred;
  c.pred = zz[0]!;
  const dcCat = category(diff);
  bits.write(c.dc.code[dcCat]!, c.dc.length[dcCat]!);
  if (dcCat) bits.write(diff < 0 ? diff + (1 << dcCat) - 1 : diff, dcCat);
  let run = 0;
  for (let k = 1; k < 64; k++) {
    const v = zz[k]!;
    if (v === 0) {
      run++;
      continue;
    }
    while (run > 15) {
      bits.write(c.ac.code[0xf0]!, c.ac.length[0xf0]!);
      run -= 16;
    }
    const cat = category(v);
    const sym = (run << 4) | cat;
    bits.write(c.ac.code[sym]!, c.ac.length[sym]!);
    bits.write(v < 0 ? v + (1 << cat) - 1 : v, cat);
    run = 0;
  }
  if (run > 0) bits.write(c.ac.code[0]!, c.ac.length[0]!);
}

function segment(marker: number, body: readonly number[]): number[] {
  const len = body.length + 2;
  return [0xff, marker, len >> 8, len & 255, ...body];
}

function dht(tableClass: number, id: number, spec: HuffmanSpec): number[] {
  return [(tableClass << 4) | id, ...spec.counts, ...spec.symbols];
}

function dqt(id: number, table: Uint8Array): number[] {
  const zz = new Array<number>(64);
  for (let k = 0; k < 64; k++) zz[ZIGZAG[k]!] = table[k]!;
  return [id, ...zz];
}

/**
 * Encode 8-bit samples (`channels` 1: gray, 3: RGB; interleaved `H·W·C`, values 0…255) as a
 * baseline JPEG file: one component (Y) for gray, three (YCbCr by the JFIF equations, no
 * subsampling) for RGB. `quality` 1…100 scales the Annex K tables (IJG rule).
 */
export function encodeBaselineJpeg(samples: ArrayLike<number>, width: number, height: number, channels: 1 | 3, quality: number): Uint8Array {
  if (!(width >= 1 && height >= 1 && width <= 65535 && height <= 65535)) {
    throw new ValidationError(`encodeJpeg: JPEG sizes are 1…65535 pixels, got ${width}×${height}`);
  }
  const n = width * height;
  const luma = scaledTable(LUMA_Q, quality);
  const chroma = scaledTable(CHROMA_Q, quality);
  const dcL = huffmanCodes(DC_LUMA);
  const acL = huffmanCodes(AC_LUMA);
  const dcC = huffmanCodes(DC_CHROMA);
  const acC = huffmanCodes(AC_CHROMA);
  const planes = Array.from({ length: channels }, () => new Float64Array(n));
  for (let p = 0; p < n; p++) {
    if (channels === 1) {
      planes[0]![p] = samples[p]! - 128;
      continue;
    }
    const r = samples[3 * p]!;
    const g = samples[3 * p + 1]!;
    const b = samples[3 * p + 2]!;
    planes[0]![p] = 0.299 * r + 0.587 * g + 0.114 * b - 128;
    planes[1]![p] = -0.168736 * r - 0.331264 * g + 0.5 * b;
    planes[2]![p] = 0.5 * r - 0.418688 * g - 0.081312 * b;
  }
  const comps: Component[] = planes.map((s, i) =>
    i === 0 ? { samples: s, quant: luma, dc: dcL, ac: acL, pred: 0 } : { samples: s, quant: chroma, dc: dcC, ac: acC, pred: 0 },
  );
  const bits = new BitWriter();
  const block = new Float64Array(64);
  const tmp = new Float64Array(64);
  const zz = new Int32Array(64);
  const rows = Math.ceil(height / 8);
  const cols = Math.ceil(width / 8);
  for (let by = 0; by < rows; by++) {
    for (let bx = 0; bx < cols; bx++) {
      for (const c of comps) encodeBlock(bits, c, width, height, by, bx, block, tmp, zz);
    }
  }
  bits.flush();
  const header = [
    0xff, 0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, channels === 1 ? dqt(0, luma) : [...dqt(0, luma), ...dqt(1, chroma)]),
    ...segment(0xc0, [8, height >> 8, height & 255, width >> 8, width & 255, channels, ...comps.flatMap((_, i) => [i + 1, 0x11, i === 0 ? 0 : 1])]),
    ...segment(0xc4, channels === 1 ? [...dht(0, 0, DC_LUMA), ...dht(1, 0, AC_LUMA)] : [...dht(0, 0, DC_LUMA), ...dht(1, 0, AC_LUMA), ...dht(0, 1, DC_CHROMA), ...dht(1, 1, AC_CHROMA)]),
    ...segment(0xda, [channels, ...comps.flatMap((_, i) => [i + 1, i === 0 ? 0x00 : 0x11]), 0, 63, 0]),
  ];
  const out = new Uint8Array(header.length + bits.bytes.length + 2);
  out.set(header, 0);
  out.set(bits.bytes, header.length);
  out[out.length - 2] = 0xff;
  out[out.length - 1] = 0xd9;
  return out;
}
