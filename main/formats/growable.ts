/**
 * Append-only typed arrays for decoders that learn counts only while parsing (OBJ, ASCII PLY).
 * Capacity doubles up to a hard element limit, so a hostile file fails with the caller's FormatError
 * (via `onLimit`) instead of a RangeError from an allocation.
 */
export class GrowableF32 {
  private buf: Float32Array;
  length = 0;
  constructor(
    private readonly limit: number,
    private readonly onLimit: () => never,
  ) {
    this.buf = new Float32Array(Math.min(1024, limit));
  }
  push(v: number): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[this.length++] = v;
  }
  private grow(): void {
    if (this.length >= this.limit) this.onLimit();
    const next = new Float32Array(Math.min(this.limit, Math.max(1024, this.buf.length * 2)));
    next.set(this.buf);
    this.buf = next;
  }
  /** the filled part, copied to an exact-size array */
  toArray(): Float32Array {
    return this.buf.slice(0, this.length);
  }
}

export class GrowableU32 {
  private buf: Uint32Array;
  length = 0;
  constructor(
    private readonly limit: number,
    private readonly onLimit: () => never,
  ) {
    this.buf = new Uint32Array(Math.min(1024, limit));
  }
  push(v: number): void {
    if (this.length === this.buf.length) this.grow();
    this.buf[this.length++] = v;
  }
  at(i: number): number {
    return this.buf[i] as number;
  }
  private grow(): void {
    if (this.length >= this.limit) this.onLimit();
    const next = new Uint32Array(Math.min(this.limit, Math.max(1024, this.buf.length * 2)));
    next.set(this.buf);
    this.buf = next;
  }
  toArray(): Uint32Array {
    return this.buf.slice(0, this.length);
  }
}
