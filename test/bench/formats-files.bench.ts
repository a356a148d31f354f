/**
 * File-format codecs (branch codecs-files): figures with a baseline measured in the same run.
 *  - RoiBlockSet.containsVoxel vs a packed-key Set<number> of blocks (the obvious alternative)
 *  - parseSwc + swcStats vs a naive split-per-line parse (numbers for ids, no validation)
 *  - parseU64Array vs JSON.parse (which is lossy above 2^53: the price of being exact)
 * Best of several trials; the machine is shared, so treat figures as noisy.
 */
import { parseU64Array } from '../../main/formats/json-u64';
import { RoiBlockSet, type RoiSpan } from '../../main/formats/roi-spans';
import { parseSwc, swcStats } from '../../main/formats/swc';

function best(trials: number, fn: () => unknown): number {
  let min = Infinity;
  for (let i = 0; i < trials; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

/** Deterministic xorshift so every run queries the same points. */
function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function roiBench(): void {
  // An ellipsoidal ROI of ~2.4 M blocks (≈ a large hemibrain neuropil at 32³), as spans.
  const [rx, ry, rz] = [120, 90, 60];
  const spans: RoiSpan[] = [];
  for (let z = -rz; z <= rz; z++) {
    for (let y = -ry; y <= ry; y++) {
      const q = 1 - (z / rz) ** 2 - (y / ry) ** 2;
      if (q < 0) continue;
      const w = Math.floor(rx * Math.sqrt(q));
      spans.push([z + 500, y + 400, 300 - w, 300 + w]);
    }
  }
  const set = new RoiBlockSet(spans);
  const packed = new Set<number>();
  for (const [z, y, x0, x1] of spans) for (let x = x0; x <= x1; x++) packed.add((z * 2048 + y) * 2048 + x);
  const n = 2_000_000;
  const r = rng(7);
  const pts = new Int32Array(3 * n);
  for (let i = 0; i < 3 * n; i += 3) {
    pts[i] = Math.floor((300 + (r() - 0.5) * 2.4 * rx) * 32);
    pts[i + 1] = Math.floor((400 + (r() - 0.5) * 2.4 * ry) * 32);
    pts[i + 2] = Math.floor((500 + (r() - 0.5) * 2.4 * rz) * 32);
  }
  let hitsA = 0;
  let hitsB = 0;
  const tSet = best(5, () => {
    hitsA = 0;
    for (let i = 0; i < 3 * n; i += 3) if (set.containsVoxel(pts[i] as number, pts[i + 1] as number, pts[i + 2] as number)) hitsA++;
  });
  const tBase = best(5, () => {
    hitsB = 0;
    for (let i = 0; i < 3 * n; i += 3) {
      const bx = Math.floor((pts[i] as number) / 32), by = Math.floor((pts[i + 1] as number) / 32), bz = Math.floor((pts[i + 2] as number) / 32);
      if (packed.has((bz * 2048 + by) * 2048 + bx)) hitsB++;
    }
  });
  if (hitsA !== hitsB) throw new Error(`ROI bench: RoiBlockSet found ${hitsA} hits, the Set ${hitsB}`);
  console.log(`ROI: ${spans.length} spans, ${set.blockCount} blocks; ${n / 1e6} M voxel queries (${((100 * hitsA) / n).toFixed(0)}% inside)`);
  console.log(`  RoiBlockSet.containsVoxel     ${(n / tSet / 1e3).toFixed(1)} M points/s`);
  console.log(`  baseline Set<number> of blocks ${(n / tBase / 1e3).toFixed(1)} M points/s (needs one entry per block)`);
  console.log(`  ratio ${(tBase / tSet).toFixed(2)}×`);
}

function swcBench(): void {
  const r = rng(11);
  const lines = ['#${"mutation id": 1000009350}', '1 1 0 0 0 5 -1'];
  const N = 300_000;
  for (let i = 2; i <= N; i++) {
    const parent = i - 1 - Math.floor(r() * Math.min(i - 1, 20));
    lines.push(`${i} 3 ${(r() * 1e4).toFixed(2)} ${(r() * 1e4).toFixed(2)} ${(r() * 1e4).toFixed(2)} ${(r() * 5).toFixed(2)} ${parent}`);
  }
  const text = lines.join('\n');
  const tMine = best(5, () => swcStats(parseSwc(text)));
  const tNaive = best(5, () => {
    const out: Array<{ id: number; parent: number; x: number }> = [];
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const f = line.split(' ');
      out.push({ id: Number(f[0]), parent: Number(f[6]), x: Number(f[2]) });
    }
    return out;
  });
  console.log(`SWC: ${N} nodes (${(text.length / 1e6).toFixed(1)} MB)`);
  console.log(`  parseSwc + swcStats (validated, bigint ids)  ${(N / tMine / 1e3).toFixed(2)} M nodes/s (${tMine.toFixed(0)} ms)`);
  console.log(`  baseline naive split, no checks               ${(N / tNaive / 1e3).toFixed(2)} M nodes/s (${tNaive.toFixed(0)} ms)`);
  console.log(`  ratio ${(tNaive / tMine).toFixed(2)}×`);
}

function u64Bench(): void {
  const r = rng(3);
  const ids: string[] = [];
  for (let i = 0; i < 1_000_000; i++) ids.push(i % 10 === 0 ? String(BigInt(Math.floor(r() * 2 ** 32)) * 4294967296n + 12345n) : String(Math.floor(r() * 1e11)));
  const text = `[${ids.join(',')}]`;
  const tMine = best(5, () => parseU64Array(text));
  const tJson = best(5, () => JSON.parse(text) as unknown);
  console.log(`uint64 JSON array: 1 M ids (10% above 2^53), ${(text.length / 1e6).toFixed(1)} MB`);
  console.log(`  parseU64Array (exact)  ${(1 / tMine * 1e3).toFixed(1)} M ids/s`);
  console.log(`  baseline JSON.parse    ${(1 / tJson * 1e3).toFixed(1)} M ids/s (lossy above 2^53)`);
  console.log(`  ratio ${(tJson / tMine).toFixed(2)}×`);
}

export function run(): Promise<void> {
  roiBench();
  swcBench();
  u64Bench();
  return Promise.resolve();
}
