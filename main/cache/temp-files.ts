/**
 * The temp-file side of the cache's atomic file writes (blob-store.ts, prepared-store.ts): a file is
 * written under `<dir>/tmp/<pid>-<random>`, fsynced, renamed into place, and its directory fsynced.
 * A crash leaves at most a temp file; the next writer removes those of processes that are gone.
 */
import { closeSync, existsSync, fsyncSync, openSync, readdirSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Temp files in `tmpDir` (left by a crash mid-write, or being written now). */
export function leftoverTemps(tmpDir: string): string[] {
  if (!existsSync(tmpDir)) return [];
  return readdirSync(tmpDir).map((f) => join(tmpDir, f));
}

/** Removes the temp files of processes that are gone (called by a writer on open). */
export function sweepTemps(tmpDir: string): void {
  for (const path of leftoverTemps(tmpDir)) {
    const pid = Number(path.split(/[\\/]/).pop()?.split('-')[0]);
    if (Number.isInteger(pid) && pid !== process.pid && !processAlive(pid)) {
      try {
        unlinkSync(path);
      } catch {
        // raced with someone else: fine
      }
    }
  }
}

/** Makes a rename inside `dir` durable. */
export function fsyncDir(dir: string): void {
  // Directories cannot be opened for fsync on Windows; there the rename is as durable as it gets.
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
