/**
 * Label-block codec throughput, single thread, in Mvox/s (millions of voxels per second): decode to
 * palette form; decode to uint64 into a new array and into a reused one; gunzip + decode to uint64 (the
 * `compression=blocks` path); canonical encode; raw-LZ4 decode and encode of the uint64 voxels (the
 * default `/blocks` payload).
 *
 * Ratios are against DVID's own Go decoder on the same machine class (DVID-API.md §13.1): the anchor
 * is ≈400 Mvox/s to uint64 on realistic 64³ blocks; where §13.1 lists DVID's figure for the same kind
 * of block it is printed too. Best of 5 trials of ≥ 250 ms, as §13.1 measured. Run:
 *   npm run bench -- label-block
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeLabelBlock, decodeLabelBlockToPalette, encodeLabelBlock, type LabelVolume } from '../../main/formats/label-block';
import { lz4DecodeBlockInto, lz4EncodeBlock } from '../../main/formats/lz4';
import { bytesOfU64 } from '../../main/formats/u64-lanes';
import { neuronTubes, prng, volumeFrom } from '../support/label-volumes';

const ANCHOR = 400; // DVID Go decoder, Mvox/s to uint64, realistic 64³ blocks (§13.1)
const GOLDEN = join(import.meta.dirname, '..', 'fixtures', 'dvid-golden');

interface Case {
  name: string;
  kind: string;
  volume: LabelVolume;
  block: Uint8Array;
  gz: Uint8Array;
  lz4: Uint8Array;
  /** DVID's figures from §13.1 for this block, when listed: decode, gunzip+decode, encode */
  dvid?: [number, number, number];
}

function makeCase(name: string, kind: string, volume: LabelVolume, dvid?: [number, number, number]): Case {
  const block = encodeLabelBlock(volume);
  return { name, kind, volume, block, gz: new Uint8Array(gzipSync(block)), lz4: lz4EncodeBlock(bytesOfU64(volume.voxels)), dvid };
}

function golden(name: string, kind: string, dvid?: [number, number, number]): Case {
  const raw = gunzipSync(readFileSync(join(GOLDEN, `${name}.u64.gz`)));
  const voxels = new BigUint64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  const block = new Uint8Array(readFileSync(join(GOLDEN, `${name}.dvidblk`)));
  return {
    name,
    kind,
    volume: { nx: 64, ny: 64, nz: 64, voxels },
    block,
    gz: new Uint8Array(readFileSync(join(GOLDEN, `${name}.dvidblk.gz`))),
    lz4: new Uint8Array(readFileSync(join(GOLDEN, `${name}.lz4`))),
    dvid,
  };
}

/** Best-of-5 throughput of fn in Mvox/s. */
function measure(voxels: number, fn: () => unknown): number {
  let sink = 0;
  for (let i = 0; i < 3; i++) sink ^= fn() ? 1 : 0; // warm up the JIT
  let best = Infinity;
  for (let trial = 0; trial < 5; trial++) {
    let n = 0;
    const t0 = performance.now();
    let t = t0;
    while (t - t0 < 250) {
      sink ^= fn() ? 1 : 0;
      n++;
      t = performance.now();
    }
    best = Math.min(best, (t - t0) / n);
  }
  if (sink === 2) console.log('');
  return voxels / best / 1000;
}

function pad(s: string | number, n: number): string {
  return String(s).padStart(n);
}

export async function run(): Promise<void> {
  const rand = prng(1000);
  const cases: Case[] = [
    golden('solid_single_label', 'solid', [1234, 1204, 239]),
    makeCase('solid_zero', 'solid', volumeFrom(64, 64, 64, () => 0n), [1128, 921, 235]),
    ...[
      [1, 3, 4],
      [2, 4, 6],
      [3, 5, 8],
      [7, 4, 10],
      [9, 2, 5],
    ].map(([seed, tubes, blobs]) => makeCase(`neuron_tubes_${seed}`, 'realistic', neuronTubes(seed!, 64, tubes, blobs), [409, 343, 135])),
    golden('two_labels_split_x', 'golden', [630, 626, 231]),
    golden('two_labels_checker', 'golden', [334, 317, 116]),
    golden('bits_sweep', 'golden', [230, 153, 9.6]),
    golden('random_1000_labels', '1000 random labels', [198, 32, 7.3]),
    makeCase(
      'unique_per_voxel',
      'one label per voxel',
      volumeFrom(64, 64, 64, (x, y, z) => 1_000_000_000_000n + BigInt((z * 64 + y) * 64 + x) * 7919n + BigInt(Math.floor(rand() * 7))),
      [81, 10.5, 3.2],
    ),
  ];

  const V = 64 ** 3;
  const floor = measure(V, () => {
    const a = new BigUint64Array(V);
    const w = new Int32Array(a.buffer);
    for (let i = 0; i < w.length; i += 1024) w[i] = 1; // touch every 4 KiB page
    return a.length;
  });

  console.log(`Node ${process.version}, single thread. Anchor: DVID Go decoder ≈ ${ANCHOR} Mvox/s to uint64 on realistic 64³ blocks (DVID-API.md §13.1).`);
  console.log('Mvox/s, best of 5 × 250 ms; (×r) = ratio to the anchor. The machine is shared (2 cores): expect ±25 % or worse between runs.');
  console.log(`Allocating a new 2 MiB BigUint64Array and touching its pages alone runs at ${floor.toFixed(0)} "Mvox/s": the ceiling of any decode that returns a new 64³ uint64 array here.\n`);
  const head = ['palette', 'u64 new', 'u64 reused', 'gunzip+u64', 'encode', 'lz4 dec', 'lz4 enc'];
  console.log(`${'block'.padEnd(20)}${'kind'.padEnd(20)}${pad('N', 7)}${pad('bytes', 9)}${pad('gz', 8)}  ${head.map((h, i) => (i < 4 ? h.padEnd(15) : h.padEnd(9))).join('')}DVID: decode / gunzip+decode / encode`);
  const realistic: number[][] = [];
  for (const c of cases) {
    const vox = c.volume.voxels.length;
    const n = new DataView(c.block.buffer, c.block.byteOffset).getUint32(12, true);
    const into = new BigUint64Array(vox);
    const lzInto = new Uint8Array(vox * 8);
    const raw = bytesOfU64(c.volume.voxels);
    const row = [
      measure(vox, () => decodeLabelBlockToPalette(c.block).indices.length),
      measure(vox, () => decodeLabelBlock(c.block).voxels.length),
      measure(vox, () => decodeLabelBlock(c.block, { into }).voxels.length),
      measure(vox, () => decodeLabelBlock(new Uint8Array(gunzipSync(c.gz))).voxels.length),
      measure(vox, () => encodeLabelBlock(c.volume).length),
      measure(vox, () => lz4DecodeBlockInto(c.lz4, lzInto).length),
      measure(vox, () => lz4EncodeBlock(raw).length),
    ];
    if (c.kind === 'realistic') realistic.push(row);
    const cells = row.map((v, i) => (i < 4 ? `${v.toFixed(0)} (×${(v / ANCHOR).toFixed(2)})`.padEnd(15) : v.toFixed(0).padEnd(9)));
    console.log(
      `${c.name.padEnd(20)}${c.kind.padEnd(20)}${pad(n, 7)}${pad(c.block.length, 9)}${pad(c.gz.length, 8)}  ${cells.join('')}${c.dvid ? `${c.dvid[0]} / ${c.dvid[1]} / ${c.dvid[2]}` : ''}`,
    );
  }
  const mean = (i: number) => realistic.reduce((a, r) => a + r[i]!, 0) / realistic.length;
  const ratio = (i: number) => `${mean(i).toFixed(0).padStart(5)} Mvox/s  ×${(mean(i) / ANCHOR).toFixed(2)} of the anchor`;
  console.log(`\nrealistic 64³ blocks (synthetic neuron tubes, N 7–14, gzip 2–6 KB), mean of ${realistic.length}:`);
  console.log(`  decode to palette form          ${ratio(0)}   goal: beat the anchor`);
  console.log(`  decode to uint64, new array     ${ratio(1)}   goal: match the anchor (ceiling here: ${floor.toFixed(0)}, the allocation)`);
  console.log(`  decode to uint64, reused array  ${ratio(2)}`);
  console.log(`  gunzip + decode to uint64 (new) ${ratio(3)}   DVID ≈ 340–440`);
  console.log(`  encode                          ${mean(4).toFixed(0).padStart(5)} Mvox/s   DVID ≈ 135–200`);
  console.log(`  raw-LZ4 decode, reused output   ${mean(5).toFixed(0).padStart(5)} Mvox/s   liblz4 (C) ≈ 870–2400`);
  console.log(`  raw-LZ4 encode                  ${mean(6).toFixed(0).padStart(5)} Mvox/s`);
}
