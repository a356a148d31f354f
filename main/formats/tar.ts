/**
 * tar bodies of keyvalue `/keyrangevalues?tar=true`, `/keyvalues?jsontar=true` (DVID-API.md §7):
 * one regular file per key, file name = key, mode 0755, written by Go's archive/tar.
 *
 * A tar stream is 512-byte blocks: per entry a header block then the data padded to a multiple of 512;
 * the archive ends with (at least) one all-zero block (writers put two). The ustar header:
 *
 *   off  len  field                         off  len  field
 *     0  100  name (NUL-padded)             257    6  magic "ustar\0" (GNU: "ustar  \0")
 *   100    8  mode  (octal, NUL-terminated) 263    2  version "00"
 *   108    8  uid                           265   32  uname
 *   116    8  gid                           297   32  gname
 *   124   12  size  (octal, or base-256)    329    8  devmajor
 *   136   12  mtime                         337    8  devminor
 *   148    8  chksum: octal sum of the 512 header bytes, counting this field as 8 spaces
 *   156    1  typeflag: '0'/'\0' file, '5' dir, 'x' PAX, 'g' PAX global, 'L' GNU long name
 *   157  100  linkname                      345  155  prefix (ustar: path = prefix + "/" + name)
 *
 * Go writes plain ustar when the name is ASCII and fits (splitting at a '/' into prefix + name), and
 * otherwise precedes the entry with a PAX 'x' entry whose records ("<len> path=<name>\n") carry it.
 * The writer here does the same; the parser also reads GNU 'L' long names.
 *
 * After a 200, DVID may append an error text to the stream (DVID-API.md §1.3). The parser verifies every
 * header's checksum, requires the end-of-archive block, and accepts only zero bytes after it; when the
 * stream ends in printable text, the FormatError's `serverMessage` property holds that text.
 */
import { FormatError } from './format-error';

const F = 'tar';
const BLOCK = 512;
/** Bound on one entry's data: 1 GiB. */
export const TAR_MAX_ENTRY_BYTES = 1 << 30;
/** Bound on PAX / GNU long-name metadata entries. */
const MAX_META_BYTES = 1 << 20;

export interface TarEntry {
  name: string;
  data: Uint8Array;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

// ---- writer -----------------------------------------------------------------------------------

function isAscii(s: string): boolean {
  // oxlint-disable-next-line no-control-regex
  return /^[\x01-\x7f]*$/.test(s);
}

function putString(block: Uint8Array, off: number, len: number, s: string): void {
  const b = utf8Encoder.encode(s);
  block.set(b.subarray(0, len), off);
}

/** octal digits, zero-padded to len−1, NUL-terminated (as Go's formatOctal) */
function putOctal(block: Uint8Array, off: number, len: number, v: number): void {
  const s = v.toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) throw new RangeError(`tar: ${v} does not fit in a ${len}-byte octal field`);
  putString(block, off, len - 1, s);
  block[off + len - 1] = 0;
}

function checksum(block: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (block[i] as number);
  return sum;
}

function header(name: string, size: number, type: string, prefix = ''): Uint8Array {
  const h = new Uint8Array(BLOCK);
  putString(h, 0, 100, name);
  putOctal(h, 100, 8, 0o755);
  putOctal(h, 108, 8, 0);
  putOctal(h, 116, 8, 0);
  putOctal(h, 124, 12, size);
  putOctal(h, 136, 12, 0);
  h[156] = type.charCodeAt(0);
  putString(h, 257, 6, 'ustar\0');
  putString(h, 263, 2, '00');
  putOctal(h, 329, 8, 0);
  putOctal(h, 337, 8, 0);
  putString(h, 345, 155, prefix);
  const sum = checksum(h);
  putString(h, 148, 6, sum.toString(8).padStart(6, '0'));
  h[154] = 0;
  h[155] = 0x20;
  return h;
}

/** ustar's prefix/name split at a '/', when the name is ASCII and fits; null otherwise. */
function ustarName(name: string): { name: string; prefix: string } | null {
  if (!isAscii(name)) return null;
  if (name.length <= 100) return { name, prefix: '' };
  for (let i = Math.min(name.length - 1, 155); i > 0; i--) {
    if (name[i] === '/' && name.length - i - 1 <= 100 && name.length - i - 1 > 0) return { prefix: name.slice(0, i), name: name.slice(i + 1) };
  }
  return null;
}

function paxRecord(key: string, value: string): Uint8Array {
  // "<len> key=value\n", where <len> counts the whole record including its own digits.
  const body = utf8Encoder.encode(` ${key}=${value}\n`);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return utf8Encoder.encode(`${len} ${key}=${value}\n`);
}

function padded(data: Uint8Array): number {
  return Math.ceil(data.length / BLOCK) * BLOCK;
}

/**
 * ustar archive, as DVID's Go writer makes it: mode 0755, uid/gid/mtime 0, typeflag '0', two zero
 * blocks at the end. Names that ustar cannot hold (non-ASCII, or > 100 bytes with no '/' split)
 * get a PAX 'x' header with a `path` record first, as Go does. Throws RangeError for an empty name
 * or one containing NUL.
 */
export function writeTar(entries: readonly TarEntry[]): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 2 * BLOCK;
  for (const e of entries) {
    if (e.name.length === 0 || e.name.includes('\0')) throw new RangeError(`tar: invalid entry name ${JSON.stringify(e.name)}`);
    const fit = ustarName(e.name);
    if (fit) {
      parts.push(header(fit.name, e.data.length, '0', fit.prefix));
    } else {
      const pax = paxRecord('path', e.name);
      const ascii = e.name.replace(/[^\x20-\x7e]/g, '_');
      const base = ascii.slice(ascii.lastIndexOf('/') + 1).slice(0, 80);
      parts.push(header(`PaxHeaders.0/${base}`, pax.length, 'x'), pax);
      total += BLOCK + padded(pax);
      parts.push(header(ascii.slice(0, 100), e.data.length, '0'));
    }
    parts.push(e.data);
    total += BLOCK + padded(e.data);
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length === BLOCK ? BLOCK : padded(p);
  }
  return out;
}

// ---- parser -----------------------------------------------------------------------------------

/** Reads an octal (or GNU base-256) numeric field. */
function readNumber(block: Uint8Array, off: number, len: number, at: number, what: string): number {
  if (((block[off] as number) & 0x80) !== 0) {
    if (block[off] === 0xff) throw new FormatError(F, at, `negative ${what}`);
    let v = (block[off] as number) & 0x7f;
    for (let i = 1; i < len; i++) {
      v = v * 256 + (block[off + i] as number);
      if (v > Number.MAX_SAFE_INTEGER) throw new FormatError(F, at, `${what} too large`);
    }
    return v;
  }
  let i = off;
  const end = off + len;
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  let v = 0;
  let digits = 0;
  while (i < end && (block[i] as number) >= 0x30 && (block[i] as number) <= 0x37) {
    v = v * 8 + ((block[i] as number) - 0x30);
    i++;
    digits++;
  }
  while (i < end && (block[i] === 0x20 || block[i] === 0)) i++;
  if (i !== end) throw new FormatError(F, at, `${what} field is not octal`);
  if (digits === 0) return 0;
  return v;
}

function cString(block: Uint8Array, off: number, len: number, at: number): string {
  let end = off;
  while (end < off + len && block[end] !== 0) end++;
  try {
    return utf8.decode(block.subarray(off, end));
  } catch {
    throw new FormatError(F, at, 'name is not valid UTF-8');
  }
}

function isZeroBlock(block: Uint8Array): boolean {
  for (let i = 0; i < BLOCK; i++) if (block[i] !== 0) return false;
  return true;
}

/** Printable ASCII (with tab/CR/LF): the shape of a DVID error text appended after a 200. */
function asText(bytes: Uint8Array): string | null {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  if (end === 0) return null;
  let start = 0;
  while (start < end && bytes[start] === 0) start++;
  for (let i = start; i < end; i++) {
    const c = bytes[i] as number;
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c > 0x7e) return null;
  }
  return String.fromCharCode(...bytes.subarray(start, Math.min(end, start + 4096)));
}

function serverError(offset: number, reason: string, text: string): FormatError {
  const err = new FormatError(F, offset, `${reason}: the stream ends in text, probably a server error after a 200: ${JSON.stringify(text.slice(0, 300))}`);
  return Object.assign(err, { serverMessage: text });
}

function parsePax(data: Uint8Array, at: number): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    let sp = pos;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const lenText = String.fromCharCode(...data.subarray(pos, Math.min(sp, pos + 20)));
    const len = Number(lenText);
    if (!/^\d+$/.test(lenText) || len <= sp - pos + 1 || pos + len > data.length || data[pos + len - 1] !== 0x0a) {
      throw new FormatError(F, at, 'malformed PAX record');
    }
    let rec: string;
    try {
      rec = utf8.decode(data.subarray(sp + 1, pos + len - 1));
    } catch {
      throw new FormatError(F, at, 'PAX record is not valid UTF-8');
    }
    const eq = rec.indexOf('=');
    if (eq <= 0) throw new FormatError(F, at, 'malformed PAX record');
    out.set(rec.slice(0, eq), rec.slice(eq + 1));
    pos += len;
  }
  return out;
}

type State = 'header' | 'data' | 'skip' | 'end';

/**
 * Incremental tar reader: feed chunks as they arrive (split anywhere); `push` returns the entries
 * completed by that chunk, `finish` checks the stream ended cleanly. Regular files are returned,
 * directories skipped, links and devices rejected. Memory: one entry's data at a time, gathered from
 * the chunks as they come (a header's claimed size is never allocated up front).
 */
export class TarStreamParser {
  private readonly maxEntryBytes: number;
  private state: State = 'header';
  private readonly head = new Uint8Array(BLOCK);
  private headFill = 0;
  private headAt = 0;
  private entryType = 0;
  private entryName = '';
  private remaining = 0;
  private padding = 0;
  private pieces: Uint8Array[] = [];
  private nextPath: string | null = null;
  private nextSize: number | null = null;
  private trailing: Uint8Array[] = [];
  private trailingBytes = 0;
  private trailingAt = 0;
  private consumed = 0;

  constructor(opts?: { maxEntryBytes?: number }) {
    this.maxEntryBytes = opts?.maxEntryBytes ?? TAR_MAX_ENTRY_BYTES;
  }

  get bytesConsumed(): number {
    return this.consumed;
  }

  push(chunk: Uint8Array): TarEntry[] {
    const out: TarEntry[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      switch (this.state) {
        case 'header': {
          const take = Math.min(BLOCK - this.headFill, chunk.length - pos);
          if (this.headFill === 0) this.headAt = this.consumed;
          this.head.set(chunk.subarray(pos, pos + take), this.headFill);
          this.headFill += take;
          pos += take;
          this.consumed += take;
          if (this.headFill === BLOCK) {
            this.headFill = 0;
            const done = this.readHeader();
            if (done) out.push(done);
          }
          break;
        }
        case 'data': {
          const take = Math.min(this.remaining, chunk.length - pos);
          this.pieces.push(chunk.slice(pos, pos + take));
          this.remaining -= take;
          pos += take;
          this.consumed += take;
          if (this.remaining === 0) {
            const done = this.endEntry();
            if (done) out.push(done);
          }
          break;
        }
        case 'skip': {
          const take = Math.min(this.padding, chunk.length - pos);
          this.padding -= take;
          pos += take;
          this.consumed += take;
          if (this.padding === 0) this.state = 'header';
          break;
        }
        case 'end': {
          // Only zero padding may follow the end-of-archive block; keep what is not (for the error).
          let rest = chunk.subarray(pos);
          const restAt = this.consumed;
          pos = chunk.length;
          this.consumed += rest.length;
          if (this.trailingBytes === 0) {
            let first = 0;
            while (first < rest.length && rest[first] === 0) first++;
            if (first === rest.length) break;
            this.trailingAt = restAt + first;
            rest = rest.subarray(first);
          }
          this.trailing.push(rest.slice(0, Math.max(0, 4096 - this.trailingBytes)));
          this.trailingBytes += rest.length;
          break;
        }
      }
    }
    return out;
  }

  finish(): void {
    if (this.state === 'end') {
      if (this.trailingBytes > 0) {
        const tail = concat(this.trailing);
        const text = asText(tail);
        const at = this.trailingAt;
        if (text !== null) throw serverError(at, 'data after the end of the archive', text);
        throw new FormatError(F, at, `${this.trailingBytes} non-zero bytes after the end of the archive`);
      }
      return;
    }
    const partial = this.state === 'header' ? this.head.subarray(0, this.headFill) : concat(this.pieces);
    const text = this.state === 'header' ? asText(partial) : null;
    const reason = this.state === 'header' && this.headFill === 0
      ? this.consumed === 0 ? 'empty stream (no end-of-archive block)' : 'stream ends without the end-of-archive block'
      : `stream ends inside ${this.state === 'header' ? 'a header' : `entry "${this.entryName.slice(0, 80)}"`}`;
    if (text !== null) throw serverError(this.headAt, reason, text);
    throw new FormatError(F, this.consumed, `truncated: ${reason}`);
  }

  private readHeader(): TarEntry | null {
    const h = this.head;
    const at = this.headAt;
    if (isZeroBlock(h)) {
      if (this.nextPath !== null || this.nextSize !== null) throw new FormatError(F, at, 'archive ends right after a PAX / long-name header');
      this.state = 'end';
      return null;
    }
    const stored = readNumber(h, 148, 8, at + 148, 'checksum');
    const unsigned = checksum(h);
    let signed = 0;
    for (let i = 0; i < BLOCK; i++) signed += i >= 148 && i < 156 ? 0x20 : ((h[i] as number) << 24) >> 24;
    if (stored !== unsigned && stored !== signed) {
      const text = asText(h);
      if (text !== null) throw serverError(at, 'not a tar header', text);
      throw new FormatError(F, at, `header checksum ${stored} does not match the computed ${unsigned}`);
    }
    const type = h[156] as number;
    let size = readNumber(h, 124, 12, at + 124, 'size');
    const magic = String.fromCharCode(...h.subarray(257, 263));
    let name = cString(h, 0, 100, at);
    if (magic === 'ustar\0' && h[345] !== 0) name = `${cString(h, 345, 155, at + 345)}/${name}`;
    const isFile = type === 0x30 || type === 0 || type === 0x37;
    if (isFile) {
      if (this.nextSize !== null) size = this.nextSize;
      if (this.nextPath !== null) name = this.nextPath;
      this.nextPath = null;
      this.nextSize = null;
    }
    const meta = type === 0x78 /* x */ || type === 0x67 /* g */ || type === 0x4c /* L */ || type === 0x4b; /* K */
    const dir = type === 0x35;
    if (!isFile && !meta && !dir) throw new FormatError(F, at + 156, `unsupported entry type '${String.fromCharCode(type)}' for "${name.slice(0, 80)}"`);
    const limit = meta ? MAX_META_BYTES : this.maxEntryBytes;
    if (size > limit) throw new FormatError(F, at + 124, `entry "${name.slice(0, 80)}" of ${size} bytes exceeds the ${limit}-byte limit`);
    this.entryType = type;
    this.entryName = name;
    this.remaining = size;
    this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
    this.pieces = [];
    if (size === 0) return this.endEntry();
    this.state = 'data';
    return null;
  }

  private endEntry(): TarEntry | null {
    const data = concat(this.pieces);
    this.pieces = [];
    this.state = this.padding > 0 ? 'skip' : 'header';
    const at = this.consumed - data.length;
    switch (this.entryType) {
      case 0x78: {
        const recs = parsePax(data, at);
        const path = recs.get('path');
        if (path !== undefined) this.nextPath = path;
        const size = recs.get('size');
        if (size !== undefined) {
          if (!/^\d+$/.test(size) || !Number.isSafeInteger(Number(size))) throw new FormatError(F, at, `PAX size "${size.slice(0, 30)}" is not an integer`);
          this.nextSize = Number(size);
        }
        return null;
      }
      case 0x4c: {
        let end = 0;
        while (end < data.length && data[end] !== 0) end++;
        try {
          this.nextPath = utf8.decode(data.subarray(0, end));
        } catch {
          throw new FormatError(F, at, 'GNU long name is not valid UTF-8');
        }
        return null;
      }
      case 0x67:
      case 0x4b:
      case 0x35:
        return null;
      default:
        return { name: this.entryName, data };
    }
  }
}

function concat(pieces: readonly Uint8Array[]): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  let n = 0;
  for (const p of pieces) n += p.length;
  const out = new Uint8Array(n);
  let pos = 0;
  for (const p of pieces) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** Whole-buffer convenience: every entry of a complete tar. */
export function readTar(bytes: Uint8Array, opts?: { maxEntryBytes?: number }): TarEntry[] {
  const p = new TarStreamParser(opts);
  const out = p.push(bytes);
  p.finish();
  return out;
}
