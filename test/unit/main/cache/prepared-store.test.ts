/**
 * Prepared mesh previews on disk (cache/prepared-store.ts): found by their source's sha256 and
 * budget, written atomically, and never served when damaged or made for something else.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PreparedStore, type PreparedKey } from '../../../../main/cache/prepared-store';
import { encodePreparedMesh, type PreparedMesh } from '../../../../main/formats/prepared-mesh';
import { tempDir } from '../../../support/cache-fixture';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function store(): PreparedStore {
  const t = tempDir('dvid-desk-prepared-');
  cleanups.push(t.cleanup);
  return new PreparedStore(join(t.dir, 'prepared'));
}

const source = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
const KEY: PreparedKey = { source, maxTriangles: 60_000, algorithm: 1 };

function preview(hash = source): Uint8Array {
  const m: PreparedMesh = {
    algorithm: 1,
    maxTriangles: 60_000,
    outward: false,
    turned: false,
    source: { format: 'ngmesh', vertices: 300_000, triangles: 600_000, min: [1, 2, 3], max: [4, 5, 6], hash },
    positions: Float32Array.from([1, 2, 3, 4, 2, 3, 1, 5, 6]),
    normals: new Int8Array(12),
    indices: Uint32Array.from([0, 1, 2]),
  };
  return encodePreparedMesh(m);
}

describe('PreparedStore', () => {
  it('stores a preview under its source hash and budget, and reads it back', () => {
    const s = store();
    expect(s.read(KEY)).toBeNull();
    s.write(KEY, preview());
    const hex = Buffer.from(source).toString('hex');
    expect(s.pathOf(KEY)).toBe(join(s.dir, hex.slice(0, 2), `${hex.slice(2)}.t60000.a1.ddpm`));
    expect(readFileSync(s.pathOf(KEY))).toEqual(Buffer.from(preview()));
    expect(s.read(KEY)!.indices).toEqual(Uint32Array.from([0, 1, 2]));
    expect([...s.list()].map((f) => ({ ...f, source: Buffer.from(f.source).toString('hex') }))).toEqual([{ path: s.pathOf(KEY), source: hex, maxTriangles: 60_000, algorithm: 1 }]);
    expect(s.leftoverTemps()).toEqual([]);
  });

  it('treats a damaged file, or one made for another budget, algorithm or source, as absent; a write replaces it', () => {
    const s = store();
    s.write(KEY, preview());
    const path = s.pathOf(KEY);
    const bytes = readFileSync(path);
    bytes[120]! ^= 0x40;
    writeFileSync(path, bytes);
    expect(s.read(KEY)).toBeNull();
    s.write(KEY, preview());
    expect(s.read(KEY)).not.toBeNull();
    // The same file under the names of other keys.
    for (const other of [{ ...KEY, maxTriangles: 30_000 }, { ...KEY, algorithm: 2 }, { ...KEY, source: source.map((b) => b ^ 1) }]) {
      mkdirSync(dirname(s.pathOf(other)), { recursive: true });
      copyFileSync(path, s.pathOf(other));
      expect(s.read(other)).toBeNull();
    }
    writeFileSync(path, bytes.subarray(0, 50));
    expect(s.read(KEY)).toBeNull();
  });

  it('leaves no temp file behind, and sweeps those of processes that are gone', () => {
    const s = store();
    s.write(KEY, preview());
    expect(readdirSync(s.tmpDir)).toEqual([]);
    const dead = join(s.tmpDir, '999999999-0123456789abcdef');
    writeFileSync(dead, 'half a file');
    expect(s.leftoverTemps()).toEqual([dead]);
    s.sweepTemps();
    expect(existsSync(dead)).toBe(false);
  });
});
