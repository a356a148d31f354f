/**
 * The one error every decoder in formats/ throws: which format, at which byte offset, and why.
 * Decoders never throw anything else for bad input (no RangeError from an allocation, no TypeError
 * from a missing byte), so callers can tell "the data is bad" from "the code is broken".
 */
export class FormatError extends Error {
  constructor(
    /** e.g. "label-block", "block-stream", "lz4", "swc" */
    readonly format: string,
    /** byte offset (or, for text formats, character offset) where the problem was found */
    readonly offset: number,
    readonly reason: string,
  ) {
    super(`${format}: ${reason} (at byte ${offset})`);
    this.name = 'FormatError';
  }
}
