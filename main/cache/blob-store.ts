/**
 * Content-addressed files for values too large to sit well in SQLite (meshes, skeletons, big
 * keyvalue values): `blobs/ab/cdef…` where `abcdef…` is the lowercase hex sha256 of the bytes.
 *
 * Writes are atomic: the bytes go to a temp file in `blobs/tmp/`, are fsynced, then renamed into
 * place (rename is atomic within a file system), and the shard folder is fsynced so the new name
 * survives a crash. A reader therefore sees a whole blob or none. Because the name is the hash,
 * writing the same bytes twice is a no-op and a blob is never modified, only added; a crash between
 * the blob write and the SQLite row that references it leaves an unreferenced blob, which is wasted
 * space, not damage (verify lists it as such).
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { cacheErrorFrom } from './errors';
import { fsyncDir, leftoverTemps, sweepTemps } from './temp-files';

export function sha256(bytes: Uint8Array): Buffer {
  return createHash('sha256').update(bytes).digest();
}

const HEX64 = /^[0-9a-f]{64}$/;

export interface BlobFile {
  hex: string;
  path: string;
}

export interface TempFile {
  fd: number;
  path: string;
  /** False when the file was not created by us (tests write to /dev/full): never unlinked. */
  owned: boolean;
}

export class BlobStore {
  readonly tmpDir: string;

  constructor(readonly dir: string) {
    this.tmpDir = join(dir, 'tmp');
  }

  pathOf(hash: Uint8Array | string): string {
    const hex = typeof hash === 'string' ? hash : Buffer.from(hash).toString('hex');
    if (!HEX64.test(hex)) throw new Error(`not a sha256: ${hex.slice(0, 80)}`);
    return join(this.dir, hex.slice(0, 2), hex.slice(2));
  }

  has(hash: Uint8Array | string): boolean {
    return existsSync(this.pathOf(hash));
  }

  /** Opens a new temp file for writing (a seam: tests override it to write to /dev/full). */
  protected openTemp(): TempFile {
    mkdirSync(this.tmpDir, { recursive: true });
    const path = join(this.tmpDir, `${process.pid}-${randomBytes(8).toString('hex')}`);
    return { fd: openSync(path, 'wx', 0o644), path, owned: true };
  }

  /**
   * Stores `bytes` and returns their sha256. Throws CacheError ('full' on ENOSPC, 'read-only' on
   * EACCES/EROFS); on failure the temp file is removed and no blob of that hash appears.
   */
  put(bytes: Uint8Array, knownHash?: Uint8Array): Buffer {
    const hash = knownHash ? Buffer.from(knownHash) : sha256(bytes);
    const dest = this.pathOf(hash);
    if (existsSync(dest)) return hash;
    let tmp: TempFile | null = null;
    try {
      tmp = this.openTemp();
      let off = 0;
      while (off < bytes.length) off += writeSync(tmp.fd, bytes, off, bytes.length - off);
      fsyncSync(tmp.fd);
      closeSync(tmp.fd);
      tmp.fd = -1;
      const shard = join(this.dir, hash.toString('hex').slice(0, 2));
      mkdirSync(shard, { recursive: true });
      renameSync(tmp.path, dest);
      tmp = null;
      fsyncDir(shard);
      return hash;
    } catch (err) {
      if (tmp) {
        if (tmp.fd >= 0) {
          try {
            closeSync(tmp.fd);
          } catch {
            // already closed
          }
        }
        if (tmp.owned) {
          try {
            unlinkSync(tmp.path);
          } catch {
            // never created or already gone
          }
        }
      }
      throw cacheErrorFrom(err, this.dir, `writing a ${bytes.length}-byte blob`);
    }
  }

  get(hash: Uint8Array | string): Buffer {
    return readFileSync(this.pathOf(hash));
  }

  /** Every blob file present (for verify), in no particular order. Temp files are not listed. */
  *list(): Generator<BlobFile> {
    if (!existsSync(this.dir)) return;
    for (const shard of readdirSync(this.dir)) {
      if (!/^[0-9a-f]{2}$/.test(shard)) continue;
      const shardDir = join(this.dir, shard);
      if (!statSync(shardDir).isDirectory()) continue;
      for (const rest of readdirSync(shardDir)) {
        const hex = shard + rest;
        if (HEX64.test(hex)) yield { hex, path: join(shardDir, rest) };
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
