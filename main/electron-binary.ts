/**
 * Finding (and, on first use, downloading) the Electron binary within a bounded time. The electron
 * package fetches its binary from GitHub the first time; offline that fails, and `npm start` then falls
 * back to browser mode instead of hanging.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

export type ElectronLookup = { ok: true; binary: string } | { ok: false; reason: string };

function installedBinary(pkgDir: string): string | null {
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile)) return null;
  const binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? binary : null;
}

/** pkgDirOverride: another electron package folder (tests). */
export async function findElectron(timeoutMs: number, pkgDirOverride?: string): Promise<ElectronLookup> {
  let pkgDir: string;
  try {
    pkgDir = pkgDirOverride ?? dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { ok: false, reason: 'the electron package is not installed' };
  }
  const present = installedBinary(pkgDir);
  if (present) return { ok: true, binary: present };
  const outcome = await new Promise<string | null>((resolve) => {
    const child = spawn(process.execPath, [join(pkgDir, 'install.js')], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-2000);
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve(`its download did not finish within ${Math.round(timeoutMs / 1000)} s`);
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve(err.message);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      const lastLine = stderr.trim().split('\n').pop() ?? '';
      resolve(code === 0 ? null : `its download failed (${lastLine || `exit ${code}`})`);
    });
  });
  if (outcome !== null) return { ok: false, reason: outcome };
  const downloaded = installedBinary(pkgDir);
  return downloaded ? { ok: true, binary: downloaded } : { ok: false, reason: 'the download left no binary' };
}
