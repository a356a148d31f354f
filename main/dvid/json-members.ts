/**
 * Splits a streamed top-level JSON array or object into its members as the bytes arrive, so that
 * DVID's big JSON streams (`/mutations`, annotation `/all-elements` and `/blocks`, keyvalue
 * `/keyrangevalues?json=true`) are handled member by member and never held whole.
 *
 * It is a framer, not a JSON parser: it tracks strings, escapes and bracket depth to find where each
 * member ends, and hands the member's text to a real parser (JSON.parse, formats/). Input shapes:
 *
 *   [ v1 , v2 , … ]            → { key: null, text: "v1" }, …
 *   { "k1" : v1 , "k2" : v2 }  → { key: "k1", text: "v1" }, …
 *   null                       → nothing (DVID's empty element list; only with `allowNull`)
 *
 * Anything after the closing bracket other than whitespace is an error at that byte's offset: that is
 * where DVID's error text starts when a stream failed after its 200 (DVID-API.md §1.3), which lets the
 * caller recover that text from the offset.
 */
import { FormatError } from '../formats/format-error';

export interface JsonMember {
  /** The object key (decoded), or null for array elements. */
  key: string | null;
  /** The member's value as JSON text. */
  text: string;
}

/** A member whose value is left as UTF-8 bytes (an exact copy, with a buffer of its own). */
export interface JsonMemberBytes {
  key: string | null;
  bytes: Uint8Array;
}

const enum S {
  Start,
  Null,
  FirstMember,
  Member,
  Key,
  Colon,
  Value,
  AfterValue,
  Done,
}

const WS = (b: number) => b === 0x20 || b === 0x0a || b === 0x0d || b === 0x09;
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

export interface JsonMemberOptions {
  /** Bound on one member's bytes (a member larger than this is an error, not an allocation). */
  maxMemberBytes: number;
  /** Accept a bare `null` as an empty container. */
  allowNull?: boolean;
  /** Name used in FormatErrors. */
  format?: string;
}

/** The framer; subclasses say what a member becomes (decoded text, or bytes for another thread). */
abstract class MemberFramer<M> {
  private state = S.Start;
  private failed: FormatError | null = null;
  private container: 'array' | 'object' = 'array';
  private offset = 0;
  private nullPos = 0;
  // Current key / value bytes (slices of the chunks; copied only when a member spans chunks).
  private keyParts: Uint8Array[] = [];
  private parts: Uint8Array[] = [];
  private partBytes = 0;
  // Value scanning state.
  private depth = 0;
  private inString = false;
  private escaped = false;
  private scalar = false;
  protected readonly decoder = new TextDecoder('utf-8', { fatal: true });
  private readonly format: string;

  constructor(private readonly opts: JsonMemberOptions) {
    this.format = opts.format ?? 'json-stream';
  }

  /** Bytes consumed so far (the absolute offset of the next byte). */
  get bytesConsumed(): number {
    return this.offset;
  }

  /**
   * Returns the members this chunk completed. Bad bytes do not lose the members before them: they are
   * returned, and the error is thrown by the next `push` (an empty one will do) or `finish`.
   */
  push(chunk: Uint8Array): M[] {
    if (this.failed) throw this.failed;
    const out: M[] = [];
    try {
      this.scan(chunk, out);
    } catch (err) {
      if (!(err instanceof FormatError)) throw err;
      this.failed = err;
    }
    return out;
  }

  private scan(chunk: Uint8Array, out: M[]): void {
    const base = this.offset;
    let i = 0;
    let valueStart = -1; // start of the current value within this chunk, if it started here
    let keyStart = -1;
    if (this.state === S.Value) valueStart = 0;
    if (this.state === S.Key) keyStart = 0;
    const n = chunk.length;
    while (i < n) {
      const b = chunk[i]!;
      switch (this.state) {
        case S.Start:
          if (WS(b)) break;
          if (b === 0x5b) {
            this.container = 'array';
            this.state = S.FirstMember;
          } else if (b === 0x7b) {
            this.container = 'object';
            this.state = S.FirstMember;
          } else if (b === 0x6e && this.opts.allowNull) {
            this.state = S.Null;
            this.nullPos = 1;
          } else this.fail(base + i, 'expected "[" or "{" at the start');
          break;
        case S.Null:
          if (b !== NULL[this.nullPos]) this.fail(base + i, 'expected "null"');
          if (++this.nullPos === 4) this.state = S.Done;
          break;
        case S.FirstMember:
        case S.Member:
          if (WS(b)) break;
          if (this.state === S.FirstMember && b === (this.container === 'array' ? 0x5d : 0x7d)) {
            this.state = S.Done;
            break;
          }
          if (this.container === 'object') {
            if (b !== 0x22) this.fail(base + i, 'expected a key string');
            this.state = S.Key;
            this.inString = true;
            this.escaped = false;
            keyStart = i;
          } else {
            valueStart = i;
            this.beginValue(b);
          }
          break;
        case S.Key:
          if (this.escaped) this.escaped = false;
          else if (b === 0x5c) this.escaped = true;
          else if (b === 0x22) {
            this.keyParts.push(chunk.subarray(keyStart, i + 1));
            keyStart = -1;
            this.inString = false;
            this.state = S.Colon;
          }
          break;
        case S.Colon:
          if (WS(b)) break;
          if (b !== 0x3a) this.fail(base + i, 'expected ":" after a key');
          this.state = S.Value;
          this.depth = -1; // value not begun yet
          break;
        case S.Value:
          if (this.depth === -1) {
            if (WS(b)) break;
            valueStart = i;
            this.beginValue(b);
            break;
          }
          if (this.inString) {
            if (this.escaped) this.escaped = false;
            else if (b === 0x5c) this.escaped = true;
            else if (b === 0x22) {
              this.inString = false;
              if (this.depth === 0) {
                out.push(this.endValue(chunk, valueStart, i + 1, base + i));
                valueStart = -1;
              }
            }
            break;
          }
          if (this.scalar) {
            if (WS(b) || b === 0x2c || b === 0x5d || b === 0x7d) {
              out.push(this.endValue(chunk, valueStart, i, base + i));
              valueStart = -1;
              continue; // the delimiter is handled in AfterValue
            }
            break;
          }
          if (b === 0x22) this.inString = true;
          else if (b === 0x5b || b === 0x7b) this.depth++;
          else if (b === 0x5d || b === 0x7d) {
            if (--this.depth === 0) {
              out.push(this.endValue(chunk, valueStart, i + 1, base + i));
              valueStart = -1;
            }
          }
          break;
        case S.AfterValue:
          if (WS(b)) break;
          if (b === 0x2c) this.state = S.Member;
          else if (b === (this.container === 'array' ? 0x5d : 0x7d)) this.state = S.Done;
          else this.fail(base + i, `expected "," or "${this.container === 'array' ? ']' : '}'}"`);
          break;
        case S.Done:
          if (!WS(b)) this.fail(base + i, 'bytes after the end of the JSON');
          break;
      }
      i++;
    }
    // Keep the unfinished key/value bytes of this chunk for the next one.
    if (this.state === S.Key && keyStart >= 0) this.keyParts.push(chunk.slice(keyStart));
    if (this.state === S.Value && valueStart >= 0) this.addPart(chunk.slice(valueStart), base + n);
    this.offset = base + n;
  }

  finish(): void {
    if (this.failed) throw this.failed;
    if (this.state !== S.Done) this.fail(this.offset, 'the stream ended before the JSON was complete');
  }

  private beginValue(b: number): void {
    this.state = S.Value;
    this.parts = [];
    this.partBytes = 0;
    this.inString = false;
    this.escaped = false;
    this.scalar = false;
    if (b === 0x22) {
      this.depth = 0;
      this.inString = true;
    } else if (b === 0x5b || b === 0x7b) {
      this.depth = 1;
    } else {
      this.depth = 0;
      this.scalar = true;
    }
  }

  private addPart(part: Uint8Array, at: number): void {
    this.partBytes += part.length;
    if (this.partBytes > this.opts.maxMemberBytes) this.fail(at, `a member exceeds ${this.opts.maxMemberBytes} bytes`);
    this.parts.push(part);
  }

  private endValue(chunk: Uint8Array, start: number, end: number, at: number): M {
    this.addPart(chunk.subarray(start, end), at);
    let member: M;
    try {
      let key: string | null = null;
      if (this.container === 'object') {
        const raw = this.keyParts.length === 1 ? this.keyParts[0]! : Buffer.concat(this.keyParts);
        key = JSON.parse(this.decoder.decode(raw)) as string;
      }
      member = this.member(key, this.parts, this.partBytes);
    } catch (err) {
      this.fail(at, `invalid key or text: ${(err as Error).message}`);
    }
    this.parts = [];
    this.partBytes = 0;
    this.keyParts = [];
    this.scalar = false;
    this.state = S.AfterValue;
    return member;
  }

  /** The member from its key and its value's bytes (`parts`: views into the chunks, `length` in all). */
  protected abstract member(key: string | null, parts: Uint8Array[], length: number): M;

  private fail(offset: number, reason: string): never {
    throw new FormatError(this.format, offset, reason);
  }
}

/** Members as decoded JSON text (the UTF-8 is checked here). */
export class JsonMemberSplitter extends MemberFramer<JsonMember> {
  protected member(key: string | null, parts: Uint8Array[], length: number): JsonMember {
    return { key, text: this.decoder.decode(parts.length === 1 ? parts[0]! : Buffer.concat(parts, length)) };
  }
}

/**
 * Members as bytes, for a parser on another thread: one copy into a buffer of the member's own (so it
 * can be transferred, not cloned: cloning a string across threads costs about 4 ns a character). The
 * UTF-8 is not checked here: the reader decodes it.
 */
export class JsonMemberByteSplitter extends MemberFramer<JsonMemberBytes> {
  protected member(key: string | null, parts: Uint8Array[], length: number): JsonMemberBytes {
    const bytes = new Uint8Array(length);
    let o = 0;
    for (const p of parts) {
      bytes.set(p, o);
      o += p.length;
    }
    return { key, bytes };
  }
}
