/**
 * Row checksums: a CRC-32 (node:zlib crc32, IEEE polynomial) of a canonical encoding of the row's
 * values, recorded at write time in the row's `checksum` column and recomputed by `verify`.
 *
 * Canonical encoding, value after value in the table's declared column order (tables.ts):
 *
 *   NULL     0x00
 *   INTEGER  0x01, int64 little-endian   (uint64 ids in their stored, XOR-2^63 form: see u64.ts)
 *   REAL     0x02, float64 little-endian
 *   TEXT     0x03, uint32 LE byte length, UTF-8 bytes
 *   BLOB     0x04, uint32 LE byte length, bytes
 *
 * The type comes from the column's declaration, not from the JS value, so a row hashes the same
 * whether an INTEGER was written from a number and read back as a bigint (safeIntegers) or not.
 * CRC-32 catches every single-byte change and all bursts up to 32 bits; it guards against storage
 * damage, not against tampering.
 */
import { crc32 } from 'node:zlib';

export type ColType = 'int' | 'real' | 'text' | 'blob';

const TWO32 = 2 ** 32;

/** Incremental hasher over one row; reused across rows to keep the hot path allocation-free. */
export class RowHasher {
  readonly #scratch = Buffer.allocUnsafe(256);
  #used = 0;
  #crc = 0;

  reset(): this {
    this.#used = 0;
    this.#crc = 0;
    return this;
  }

  #room(n: number): void {
    if (this.#used + n > this.#scratch.length) this.#flush();
  }

  #flush(): void {
    if (this.#used > 0) {
      this.#crc = crc32(this.#scratch.subarray(0, this.#used), this.#crc);
      this.#used = 0;
    }
  }

  nul(): this {
    this.#room(1);
    this.#scratch[this.#used++] = 0;
    return this;
  }

  int(v: number | bigint | null): this {
    if (v === null) return this.nul();
    this.#room(9);
    const s = this.#scratch;
    s[this.#used] = 1;
    if (typeof v === 'bigint') {
      s.writeBigInt64LE(BigInt.asIntN(64, v), this.#used + 1);
    } else {
      if (!Number.isSafeInteger(v)) throw new TypeError(`INTEGER column given a non-integer number: ${v}`);
      const hi = Math.floor(v / TWO32);
      s.writeUInt32LE(v - hi * TWO32, this.#used + 1);
      s.writeInt32LE(hi, this.#used + 5);
    }
    this.#used += 9;
    return this;
  }

  real(v: number | null): this {
    if (v === null) return this.nul();
    this.#room(9);
    this.#scratch[this.#used] = 2;
    this.#scratch.writeDoubleLE(v, this.#used + 1);
    this.#used += 9;
    return this;
  }

  text(v: string | null): this {
    if (v === null) return this.nul();
    const len = Buffer.byteLength(v, 'utf8');
    this.#room(5);
    this.#scratch[this.#used] = 3;
    this.#scratch.writeUInt32LE(len, this.#used + 1);
    this.#used += 5;
    if (len > 0) {
      if (len <= 64 && this.#used + len <= this.#scratch.length) {
        this.#used += this.#scratch.write(v, this.#used, 'utf8');
      } else {
        this.#flush();
        this.#crc = crc32(v, this.#crc);
      }
    }
    return this;
  }

  blob(v: Uint8Array | null): this {
    if (v === null) return this.nul();
    this.#room(5);
    this.#scratch[this.#used] = 4;
    this.#scratch.writeUInt32LE(v.length, this.#used + 1);
    this.#used += 5;
    if (v.length > 0) {
      this.#flush();
      this.#crc = crc32(v, this.#crc);
    }
    return this;
  }

  /** A value of a declared type (the generic path used by verify and the table writers). */
  value(type: ColType, v: unknown): this {
    if (v === null || v === undefined) return this.nul();
    switch (type) {
      case 'int':
        if (typeof v === 'bigint' || typeof v === 'number') return this.int(v);
        if (typeof v === 'boolean') return this.int(v ? 1 : 0);
        break;
      case 'real':
        if (typeof v === 'number') return this.real(v);
        if (typeof v === 'bigint') return this.real(Number(v));
        break;
      case 'text':
        if (typeof v === 'string') return this.text(v);
        break;
      case 'blob':
        if (v instanceof Uint8Array) return this.blob(v);
        break;
    }
    throw new TypeError(`a ${type.toUpperCase()} column was given ${typeof v}`);
  }

  digest(): number {
    this.#flush();
    return this.#crc >>> 0;
  }
}

const shared = new RowHasher();

/** Checksum of one row given its column types and values in the same order. */
export function rowChecksum(types: readonly ColType[], values: readonly unknown[]): number {
  shared.reset();
  for (let i = 0; i < types.length; i++) shared.value(types[i]!, values[i]);
  return shared.digest();
}
