/**
 * Unpacking one sub-block's 512 MSB-first b-bit values (DVID `getPackedValue`) into local indices.
 *
 * 8 values of b bits are exactly b bytes, so every 8-voxel row of a sub-block starts on a byte
 * boundary. The common widths in real segmentation (b = 1, 2: two to four labels in a sub-block)
 * get their own loops that read one row word and shift by constants; the rest use a bit accumulator.
 */

/** Writes the 512 values of the sub-block whose packed run starts at byte p into out[0..511]. */
export function unpackSubblock(src: Uint8Array, p: number, b: number, out: Uint16Array): void {
  switch (b) {
    case 1:
      return unpack1(src, p, out);
    case 2:
      return unpack2(src, p, out);
    case 3:
      return unpack3(src, p, out);
    case 4:
      return unpack4(src, p, out);
    case 8:
      for (let k = 0; k < 512; k++) out[k] = src[p + k]!;
      return;
    default:
      return unpackGeneric(src, p, b, out);
  }
}

function unpack1(src: Uint8Array, p: number, out: Uint16Array): void {
  for (let r = 0, k = 0; r < 64; r++, k += 8) {
    const c = src[p + r]!;
    out[k] = c >>> 7;
    out[k + 1] = (c >>> 6) & 1;
    out[k + 2] = (c >>> 5) & 1;
    out[k + 3] = (c >>> 4) & 1;
    out[k + 4] = (c >>> 3) & 1;
    out[k + 5] = (c >>> 2) & 1;
    out[k + 6] = (c >>> 1) & 1;
    out[k + 7] = c & 1;
  }
}

function unpack2(src: Uint8Array, p: number, out: Uint16Array): void {
  for (let r = 0, k = 0, q = p; r < 64; r++, k += 8, q += 2) {
    const w = (src[q]! << 8) | src[q + 1]!;
    out[k] = w >>> 14;
    out[k + 1] = (w >>> 12) & 3;
    out[k + 2] = (w >>> 10) & 3;
    out[k + 3] = (w >>> 8) & 3;
    out[k + 4] = (w >>> 6) & 3;
    out[k + 5] = (w >>> 4) & 3;
    out[k + 6] = (w >>> 2) & 3;
    out[k + 7] = w & 3;
  }
}

function unpack3(src: Uint8Array, p: number, out: Uint16Array): void {
  for (let r = 0, k = 0, q = p; r < 64; r++, k += 8, q += 3) {
    const w = (src[q]! << 16) | (src[q + 1]! << 8) | src[q + 2]!;
    out[k] = w >>> 21;
    out[k + 1] = (w >>> 18) & 7;
    out[k + 2] = (w >>> 15) & 7;
    out[k + 3] = (w >>> 12) & 7;
    out[k + 4] = (w >>> 9) & 7;
    out[k + 5] = (w >>> 6) & 7;
    out[k + 6] = (w >>> 3) & 7;
    out[k + 7] = w & 7;
  }
}

function unpack4(src: Uint8Array, p: number, out: Uint16Array): void {
  for (let k = 0, q = p; k < 512; k += 2, q++) {
    const c = src[q]!;
    out[k] = c >>> 4;
    out[k + 1] = c & 15;
  }
}

function unpackGeneric(src: Uint8Array, p: number, b: number, out: Uint16Array): void {
  const mask = (1 << b) - 1;
  let acc = 0;
  let bits = 0;
  let q = p;
  for (let k = 0; k < 512; k++) {
    if (bits < b) {
      acc = (acc << 8) | src[q++]!;
      bits += 8;
      if (bits < b) {
        acc = (acc << 8) | src[q++]!;
        bits += 8;
      }
    }
    bits -= b;
    out[k] = (acc >>> bits) & mask;
  }
}
