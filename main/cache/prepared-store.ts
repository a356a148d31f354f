/**
 * Prepared mesh previews (formats/prepared-mesh.ts) kept next to the blobs, addressed by what they
 * were made from: `prepared/ab/cdef….t<maxTriangles>.a<algorithm>.ddpm`, where `abcdef…` is the
 * sha256 of the source mesh file. A body's entry (kv_entries.hash) therefore finds its preview
 * without a table, a re-synced body with new bytes gets a new name (never a stale preview), a mesh
 * shared by two nodes or bodies is prepared once, and a new preparation algorithm simply stops
 * finding the old files.
 *
 * Not rows: previews are derived data that both the sync (the cache's one writer) and the body view
 * (a read-only connection) make, so they are plain files, written atomically like blobs (temp file in
 * `prepared/tmp/`, fsync, rename, fsync of the folder). Each file carries a CRC-32 and its source's
 * hash; a reader that finds one damaged or made for another source treats it as absent (it is made
 * again and replaced), and `verify` reports it.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { decodePreparedMesh, type PreparedMesh } from '../formats/prepared-mesh';
import { cacheErrorFrom } from './errors';
import { fsyncDir, leftoverTemps, sweepTemps } from './temp-files';

export const PREPARED_DIR = 'prepared';

export interface PreparedKey {
  /** sha256 of the source mesh file */
  source: Uint8Array;
  maxTriangles: number;
  algorithm: number;
}

export interface PreparedFile extends PreparedKey {
  path: string;
}

const NAME = /^([0-9a-f]{62})\.t(\d{1,10})\.a(\d{1,10})\.ddpm$/;

function hexOf(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}

export class PreparedStore {
  readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.tmpDir = join(dir, 'tmp');
  }

  pathOf(key: PreparedKey): string {
    const hex = hexOf(key.source);
    if (!/^[0-9a-f]{64}$/.test(hex)) throw new Error(`not a sha256: ${hex.slice(0, 80)}`);
    if (!Number.isInteger(key.maxTriangles) || key.maxTriangles < 0 || !Number.isInteger(key.algorithm) || key.algorithm < 0) throw new Error('bad prepared-mesh key');
    return join(this.dir, hex.slice(0, 2), `${hex.slice(2)}.t${key.maxTriangles}.a${key.algorithm}.ddpm`);
  }

  /**
   * The preview made for `key`, or null when there is none or the file is unusable (damaged, cut
   * short, made for another source: the caller makes it again). Reads and checks about 1 MB: ≈ 1 ms
   * from the page cache.
   */
  read(key: PreparedKey): PreparedMesh | null {
    let bytes: Buffer;
    try {
      bytes = readFileSync(this.pathOf(key));
    } catch {
      return null;
    }
    try {
      return decodePreparedMesh(bytes, { hash: key.source, maxTriangles: key.maxTriangles, algorithm: key.algorithm });
    } catch {
      return null;
    }
  }

  has(key: PreparedKey): boolean {
    return existsSync(this.pathOf(key));
  }

  /**
   * Stores encoded preview bytes under `key` (replacing a damaged file of that name). Throws
   * CacheError ('full', 'read-only', 'io'); the temp file is removed on failure.
   */
  write(key: PreparedKey, bytes: Uint8Array): void {
    const dest = this.pathOf(key);
    let fd = -1;
    let tmp: string | null = null;
    try {
      mkdirSync(this.tmpDir, { recursive: true });
      tmp = join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
      fd = openSync(tmp, 'wx', 0o644);
      let off = 0;
      while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
      closeSync(fd);
      fd = -1;
      const shard = join(this.dir, hexOf(key.source).slice(0, 2));
      mkdirSync(shard, { recursive: true });
      renameSync(tmp, dest);
      tmp = null;
      fsyncDir(shard);
    } catch (err) {
      if (fd >= 0) {
        try {
          closeSync(fd);
        } catch {
          // already closed
        }
      }
      if (tmp) {
        try {
          unlinkSync(tmp);
        } catch {
          // never created
        }
      }
      throw cacheErrorFrom(err, this.dir, `writing a ${bytes.length}-byte prepared mesh`);
    }
  }

  /** Every prepared file present (for verify), in no particular order; files with other names are skipped. */
  *list(): Generator<PreparedFile> {
    if (!existsSync(this.dir)) return;
    for (const shard of readdirSync(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      const shardDir = join(this.dir, shard);
      if (!statSync(shardDir).isDirectory()) continue;
      for (const rest of readdirSync(shardDir)) {
        const m = NAME.exec(rest);
        if (!m) continue;
        yield { path: join(shardDir, rest), source: Buffer.from(shard + m[1]!, 'hex'), maxTriangles: Number(m[2]), algorithm: Number(m[3]) };
      }
    }
  }

  /** Temp files left by a crash mid-write (harmless; removed by the next writer's open). */
  leftoverTemps(): string[] {
    return leftoverTemps(this.tmpDir);
  }

  /** Removes leftover temp files of processes that are gone (called by the writer on open). */
  sweepTemps(): void {
    sweepTemps(this.tmpDir);
  }
}
