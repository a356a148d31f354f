/**
 * The cache's file for one keyvalue instance (not a DVID format): a header with the keys (sorted
 * byte-wise, as DVID orders them) and the byte length of each value, then the values back to back.
 * Values are read on demand, so a server over a large dataset does not hold every mesh in memory.
 *
 *   u32 headerBytes | header JSON {"keys": [...], "lengths": [...]} | values…
 */
import { closeSync, openSync, readSync, writeFileSync } from 'node:fs';

export function compareKeys(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

export function writeKvPack(file: string, entries: Map<string, Uint8Array>): void {
  const keys = [...entries.keys()].toSorted(compareKeys);
  const lengths = keys.map((k) => entries.get(k)!.length);
  const header = Buffer.from(JSON.stringify({ keys, lengths }), 'utf8');
  const parts: Uint8Array[] = [Buffer.alloc(4), header];
  (parts[0] as Buffer).writeUInt32LE(header.length, 0);
  for (const k of keys) parts.push(entries.get(k)!);
  writeFileSync(file, Buffer.concat(parts));
}

export class KvPack {
  readonly keys: string[];
  private readonly offsets = new Map<string, [number, number]>();
  private fd: number | null;

  constructor(readonly file: string) {
    this.fd = openSync(file, 'r');
    const lenBuf = Buffer.alloc(4);
    readSync(this.fd, lenBuf, 0, 4, 0);
    const headerLen = lenBuf.readUInt32LE(0);
    const header = Buffer.alloc(headerLen);
    readSync(this.fd, header, 0, headerLen, 4);
    const { keys, lengths } = JSON.parse(header.toString('utf8')) as { keys: string[]; lengths: number[] };
    this.keys = keys;
    let pos = 4 + headerLen;
    keys.forEach((k, i) => {
      this.offsets.set(k, [pos, lengths[i]!]);
      pos += lengths[i]!;
    });
  }

  has(key: string): boolean {
    return this.offsets.has(key);
  }

  size(key: string): number | undefined {
    return this.offsets.get(key)?.[1];
  }

  get(key: string): Uint8Array | undefined {
    const at = this.offsets.get(key);
    if (!at) return undefined;
    if (this.fd === null) throw new Error(`${this.file} is closed`);
    const out = Buffer.alloc(at[1]);
    if (at[1] > 0) readSync(this.fd, out, 0, at[1], at[0]);
    return out;
  }

  close(): void {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
