/** gzip as DVID sends it (RFC 1952, no HTTP Content-Encoding): detection and bounded gunzip. */
import { gunzipSync } from 'node:zlib';
import { FormatError } from './format-error';

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * gunzip that never produces more than `maxBytes` (zlib stops inflating there: a gzip bomb costs
 * nothing) and reports every failure as a FormatError of `format`.
 */
export function gunzipBounded(bytes: Uint8Array, maxBytes: number, format = 'gzip'): Uint8Array {
  if (!isGzip(bytes)) throw new FormatError(format, 0, 'not gzip data (no 1f 8b magic)');
  let out: Buffer;
  try {
    out = gunzipSync(bytes, { maxOutputLength: Math.max(1, maxBytes) });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ERR_BUFFER_TOO_LARGE') throw new FormatError(format, 0, `gunzipped data exceeds the bound of ${maxBytes} bytes`);
    throw new FormatError(format, 0, `gunzip failed: ${e.message}`);
  }
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
