/**
 * Raw LZ4 block format (no frame, no magic, no size prefix): the payload of DVID's default `/blocks`
 * stream, LZ4 of the block's uint64 voxels (DVID-API.md §4.2). The decoded size is known to the caller.
 *
 * A block is a series of sequences:
 * ```
 * token      1 byte: high nibble = literal length L, low nibble = match length M − 4
 * [L ext]    if L == 15: bytes added to L while each byte == 255 (the first byte < 255 ends it)
 * literals   L bytes copied to the output
 * -- the last sequence ends here (literals only) --
 * offset     uint16 LE, 1..65535: the match starts `offset` bytes back in the output
 * [M ext]    if M == 15: bytes added while == 255, as for L
 * ```
 * The match copies M + 4 bytes and may overlap the bytes it produces (offset < length repeats a
 * pattern). Encoder rules from the LZ4 spec: the last 5 bytes are always literals and the last match
 * starts at least 12 bytes before the end.
 */
import { FormatError } from './format-error';

const FORMAT = 'lz4';
const MIN_MATCH = 4;
const LAST_LITERALS = 5;
const MF_LIMIT = 12;
const MAX_OFFSET = 65535;
/** One input byte yields at most 255 output bytes (a 255 length-extension byte): a hard ratio bound. */
const MAX_RATIO = 255;

function fail(offset: number, reason: string): never {
  throw new FormatError(FORMAT, offset, reason);
}

/**
 * Decodes a raw LZ4 block that must expand to exactly `decodedSize` bytes. Every length and offset is
 * checked against the input and the output before use; a size the input could never produce is
 * refused before allocating.
 */
export function lz4DecodeBlock(src: Uint8Array, decodedSize: number): Uint8Array {
  if (!Number.isSafeInteger(decodedSize) || decodedSize < 0) throw new RangeError(`lz4DecodeBlock: bad decodedSize ${decodedSize}`);
  if (decodedSize > src.length * MAX_RATIO + 16) fail(0, `${src.length} bytes of LZ4 cannot expand to ${decodedSize} bytes`);
  const dst = new Uint8Array(decodedSize);
  const end = decodeInto(src, dst, true);
  if (end !== decodedSize) fail(src.length, `decoded ${end} bytes, expected ${decodedSize}`);
  return dst;
}

/** lz4DecodeBlock into a caller's buffer (its length is the decoded size), e.g. one reused across blocks. */
export function lz4DecodeBlockInto(src: Uint8Array, dst: Uint8Array): Uint8Array {
  if (dst.length > src.length * MAX_RATIO + 16) fail(0, `${src.length} bytes of LZ4 cannot expand to ${dst.length} bytes`);
  const end = decodeInto(src, dst, true);
  if (end !== dst.length) fail(src.length, `decoded ${end} bytes, expected ${dst.length}`);
  return dst;
}

/**
 * Decodes a raw LZ4 block of unknown decoded size, refusing to produce more than `maxSize` bytes.
 * (For DVID's LZ4-stored instances, whose `/blocks?compression=lz4` payload is LZ4 of a Block
 * serialization rather than of voxels.)
 */
export function lz4DecodeBlockUpTo(src: Uint8Array, maxSize: number): Uint8Array {
  if (!Number.isSafeInteger(maxSize) || maxSize < 0) throw new RangeError(`lz4DecodeBlockUpTo: bad maxSize ${maxSize}`);
  const dst = new Uint8Array(Math.min(maxSize, src.length * MAX_RATIO + 16));
  const end = decodeInto(src, dst, false);
  return dst.slice(0, end);
}

/** Returns the number of bytes written. `exact`: running out of room is an error either way. */
function decodeInto(src: Uint8Array, dst: Uint8Array, exact: boolean): number {
  const sEnd = src.length;
  const dEnd = dst.length;
  // Word views of the output for matches whose offset and position are aligned: the common case for
  // uint64 voxels, where runs of one label repeat 8-byte patterns. (BigInt64Array element copies stay
  // 64-bit integer moves in optimized code: no BigInt is created.)
  const aligned8 = (dst.byteOffset & 7) === 0;
  const aligned4 = (dst.byteOffset & 3) === 0;
  const dst64 = new BigInt64Array(dst.buffer, aligned8 ? dst.byteOffset : 0, aligned8 ? dst.length >> 3 : 0);
  const dst32 = new Int32Array(dst.buffer, aligned4 ? dst.byteOffset : 0, aligned4 ? dst.length >> 2 : 0);
  let s = 0;
  let d = 0;
  if (sEnd === 0) fail(0, 'empty input (a block holds at least one token)');
  while (s < sEnd) {
    const tokenAt = s;
    const token = src[s++]!;
    let lit = token >>> 4;
    if (lit === 15) {
      let c: number;
      do {
        if (s >= sEnd) fail(s, 'input ends inside a literal length');
        c = src[s++]!;
        lit += c;
      } while (c === 255);
    }
    if (lit > sEnd - s) fail(s, `literal run of ${lit} bytes overruns the input (${sEnd - s} left)`);
    if (lit > dEnd - d) fail(s, exact ? `literal run of ${lit} bytes overruns the ${dEnd}-byte output` : `output exceeds ${dEnd} bytes`);
    if (lit < 32) {
      for (let i = 0; i < lit; i++) dst[d + i] = src[s + i]!;
    } else {
      dst.set(src.subarray(s, s + lit), d);
    }
    s += lit;
    d += lit;
    if (s === sEnd) break; // the last sequence has literals only
    if (s + 2 > sEnd) fail(s, 'input ends inside a match offset');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0) fail(s - 2, 'match offset 0');
    if (offset > d) fail(s - 2, `match offset ${offset} reaches before the start of the output (${d} bytes written)`);
    let len = token & 15;
    if (len === 15) {
      let c: number;
      do {
        if (s >= sEnd) fail(s, 'input ends inside a match length');
        c = src[s++]!;
        len += c;
      } while (c === 255);
    }
    len += MIN_MATCH;
    if (len > dEnd - d) fail(tokenAt, exact ? `match of ${len} bytes overruns the ${dEnd}-byte output` : `output exceeds ${dEnd} bytes`);
    const from = d - offset;
    if (aligned8 && ((offset | d) & 7) === 0 && len <= 1024) {
      // offset ≥ 8: each source word is complete before it is read, overlapping or not
      let wd = d >> 3;
      let ws = from >> 3;
      const wEnd = wd + (len >> 3);
      while (wd < wEnd) dst64[wd++] = dst64[ws++]!;
      for (let i = len & ~7; i < len; i++) dst[d + i] = dst[from + i]!;
    } else if (aligned4 && ((offset | d) & 3) === 0 && len <= 1024) {
      // offset ≥ 4: each source word is complete before it is read, overlapping or not
      let wd = d >> 2;
      let ws = from >> 2;
      const wEnd = wd + (len >> 2);
      while (wd < wEnd) dst32[wd++] = dst32[ws++]!;
      for (let i = len & ~3; i < len; i++) dst[d + i] = dst[from + i]!;
    } else if (len <= 32 || (offset < 8 && len < 64)) {
      for (let i = 0; i < len; i++) dst[d + i] = dst[from + i]!;
    } else {
      copyMatch(dst, d, offset, len);
    }
    d += len;
  }
  return d;
}

/** Copies `len` bytes from `offset` back, repeating the pattern when they overlap. */
function copyMatch(dst: Uint8Array, d: number, offset: number, len: number): void {
  const from = d - offset;
  if (offset >= len) {
    dst.copyWithin(d, from, from + len);
    return;
  }
  if (offset === 1) {
    dst.fill(dst[from]!, d, d + len);
    return;
  }
  // Overlapping: the bytes from `from` on are periodic with period `offset`, so each copyWithin can take
  // everything already written since `from`: the copied span doubles each step.
  let done = 0;
  while (done < len) {
    const n = Math.min(len - done, offset + done);
    dst.copyWithin(d + done, from, from + n);
    done += n;
  }
}

// ---------------------------------------------------------------------------------------------------
// Encoder: greedy, one 4-byte hash table, LZ4's acceleration (skip faster through incompressible data).

const HASH_LOG = 16;
const hashTable = new Int32Array(1 << HASH_LOG);

function read32(a: Uint8Array, i: number): number {
  return a[i]! | (a[i + 1]! << 8) | (a[i + 2]! << 16) | (a[i + 3]! << 24);
}

function hash4(v: number): number {
  return Math.imul(v, 2654435761) >>> (32 - HASH_LOG);
}

/** Worst-case size of lz4EncodeBlock's output for n input bytes (LZ4_compressBound). */
export function lz4CompressBound(n: number): number {
  return n + Math.floor(n / 255) + 16;
}

function writeLength(dst: Uint8Array, o: number, n: number): number {
  while (n >= 255) {
    dst[o++] = 255;
    n -= 255;
  }
  dst[o++] = n;
  return o;
}

/**
 * Encodes `src` as one raw LZ4 block that any LZ4 block decoder (liblz4's LZ4_decompress_safe
 * included) reads back. Finds real matches, including overlapping ones (offset < length), which is
 * what makes runs of one uint64 label compress ~250:1.
 */
export function lz4EncodeBlock(src: Uint8Array): Uint8Array {
  const n = src.length;
  const dst = new Uint8Array(lz4CompressBound(n));
  let o = 0;
  let anchor = 0;
  if (n >= MF_LIMIT + 1) {
    hashTable.fill(-1);
    const src32 = (src.byteOffset & 3) === 0 ? new Int32Array(src.buffer, src.byteOffset, n >> 2) : null;
    const matchLimit = n - LAST_LITERALS; // matches must end before the last 5 bytes
    const searchLimit = n - MF_LIMIT; // and start at least 12 bytes before the end
    let i = 0;
    let misses = 0;
    while (i < searchLimit) {
      const seq = read32(src, i);
      const h = hash4(seq);
      const cand = hashTable[h]!;
      hashTable[h] = i;
      if (cand < 0 || i - cand > MAX_OFFSET || read32(src, cand) !== seq) {
        i += 1 + (misses++ >> 6);
        continue;
      }
      misses = 0;
      // Extend backwards over pending literals, then forwards.
      let start = i;
      let ref = cand;
      while (start > anchor && ref > 0 && src[start - 1] === src[ref - 1]) {
        start--;
        ref--;
      }
      let e = i + MIN_MATCH;
      let r = cand + MIN_MATCH;
      if (src32 !== null && ((e - r) & 3) === 0) {
        // same alignment: byte steps to a word boundary, then 4 bytes per step
        while ((e & 3) !== 0 && e < matchLimit && src[e] === src[r]) {
          e++;
          r++;
        }
        if ((e & 3) === 0) {
          while (e + 4 <= matchLimit && src32[e >> 2] === src32[r >> 2]) {
            e += 4;
            r += 4;
          }
        }
      }
      while (e < matchLimit && src[e] === src[r]) {
        e++;
        r++;
      }
      const lit = start - anchor;
      const ml = e - start - MIN_MATCH;
      const tokenAt = o++;
      dst[tokenAt] = ((lit >= 15 ? 15 : lit) << 4) | (ml >= 15 ? 15 : ml);
      if (lit >= 15) o = writeLength(dst, o, lit - 15);
      dst.set(src.subarray(anchor, start), o);
      o += lit;
      const off = start - ref;
      dst[o++] = off & 0xff;
      dst[o++] = off >>> 8;
      if (ml >= 15) o = writeLength(dst, o, ml - 15);
      anchor = e;
      // Seed the table inside the match so that following data can refer into it.
      if (e - 2 < searchLimit) hashTable[hash4(read32(src, e - 2))] = e - 2;
      i = e;
    }
  }
  const lit = n - anchor;
  dst[o++] = (lit >= 15 ? 15 : lit) << 4;
  if (lit >= 15) o = writeLength(dst, o, lit - 15);
  dst.set(src.subarray(anchor, n), o);
  o += lit;
  return dst.slice(0, o);
}
