/**
 * A deliberately naive second implementation of the DVID label Block, written from DVID-API.md §5.2
 * alone (bit by bit, BigInt per voxel, DVID's getPackedValue formula verbatim). Tests cross-check the
 * fast codec against it; it is never used for speed and trusts its input.
 */

/** One sub-block as stored: its index list I_s into the table and, when it has ≥ 2 entries, the 512
 *  packed values (each < indices.length), in intra-sub-block voxel order. */
export interface SubblockSpec {
  indices: number[];
  values?: ArrayLike<number>;
}

export interface BlockSpec {
  gx: number;
  gy: number;
  gz: number;
  table: bigint[];
  /** gx·gy·gz entries, x fastest; ignored when the table has one entry (solid block) */
  subblocks: SubblockSpec[];
}

function bitsFor(n: number): number {
  return n <= 1 ? 0 : Math.ceil(Math.log2(n));
}

export function buildBlock(spec: BlockSpec): Uint8Array {
  const { gx, gy, gz, table, subblocks } = spec;
  const head: number[] = [];
  const u32 = (v: number) => head.push(v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255);
  const u64 = (v: bigint) => {
    for (let i = 0n; i < 8n; i++) head.push(Number((v >> (8n * i)) & 255n));
  };
  u32(gx);
  u32(gy);
  u32(gz);
  u32(table.length);
  for (const l of table) u64(l);
  if (table.length === 1) return Uint8Array.from(head);
  for (const sb of subblocks) head.push(sb.indices.length & 255, sb.indices.length >>> 8);
  for (const sb of subblocks) for (const i of sb.indices) u32(i);
  const bits: number[] = [];
  for (const sb of subblocks) {
    const b = bitsFor(sb.indices.length);
    if (b === 0) continue;
    for (let k = 0; k < 512; k++) {
      const v = sb.values![k]!;
      for (let bit = b - 1; bit >= 0; bit--) bits.push((v >> bit) & 1);
    }
    while (bits.length % 8 !== 0) bits.push(0);
  }
  for (let i = 0; i < bits.length; i += 8) {
    let byte = 0;
    for (let j = 0; j < 8; j++) byte = (byte << 1) | bits[i + j]!;
    head.push(byte);
  }
  return Uint8Array.from(head);
}

/** Decodes per §5.4, voxel by voxel. */
export function referenceDecode(bytes: Uint8Array): { nx: number; ny: number; nz: number; voxels: BigUint64Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const gx = dv.getUint32(0, true);
  const gy = dv.getUint32(4, true);
  const gz = dv.getUint32(8, true);
  const n = dv.getUint32(12, true);
  const nx = gx * 8;
  const ny = gy * 8;
  const nz = gz * 8;
  const L: bigint[] = [];
  for (let i = 0; i < n; i++) L.push(dv.getBigUint64(16 + 8 * i, true));
  const out = new BigUint64Array(nx * ny * nz);
  if (n === 1) return { nx, ny, nz, voxels: out.fill(L[0]!) };
  const nsb = gx * gy * gz;
  let pos = 16 + 8 * n;
  const Ns: number[] = [];
  for (let s = 0; s < nsb; s++, pos += 2) Ns.push(dv.getUint16(pos, true));
  const I: number[] = [];
  const T = Ns.reduce((a, b) => a + b, 0);
  for (let t = 0; t < T; t++, pos += 4) I.push(dv.getUint32(pos, true));
  const B = bytes.subarray(pos);
  let bitPos = 0;
  let idxPos = 0;
  let s = 0;
  for (let sz = 0; sz < gz; sz++) {
    for (let sy = 0; sy < gy; sy++) {
      for (let sx = 0; sx < gx; sx++, s++) {
        const ns = Ns[s]!;
        const b = bitsFor(ns);
        for (let z = 0; z < 8; z++) {
          for (let y = 0; y < 8; y++) {
            for (let x = 0; x < 8; x++) {
              let label = 0n;
              if (ns === 1) label = L[I[idxPos]!]!;
              else if (ns >= 2) {
                const bytePos = bitPos >> 3;
                const bitOff = bitPos & 7;
                let v: number;
                if (bitOff + b <= 8) v = (B[bytePos]! & (0xff >> bitOff)) >> (8 - bitOff - b);
                else v = (((B[bytePos]! & (0xff >> bitOff)) << 8) | B[bytePos + 1]!) >> (16 - bitOff - b);
                if (v >= ns) throw new Error('reference: value out of range');
                label = L[I[idxPos + v]!]!;
                bitPos += b;
              }
              out[((sz * 8 + z) * ny + sy * 8 + y) * nx + sx * 8 + x] = label;
            }
          }
        }
        if (ns >= 2) bitPos = (bitPos + 7) & ~7;
        idxPos += ns;
      }
    }
  }
  return { nx, ny, nz, voxels: out };
}
