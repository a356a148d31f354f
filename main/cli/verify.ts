/**
 * `dvid-desk verify [--cache DIR] [--json]`: checks every row, blob and prepared mesh of every cache under the root
 * (or the one cache DIR names) and reports what is damaged. Read-only: deletes and repairs nothing.
 * Exit status 0 when everything is sound, 1 when something is damaged or unreadable.
 */
import { findCaches } from '../cache/index';
import { verifyCache, type VerifyReport } from '../cache/verify';
import { resolveCacheRoot } from '../paths';
import { count } from './format';

export interface VerifyOptions {
  cache?: string;
  json?: boolean;
}

export function formatReport(r: VerifyReport): string {
  const lines = [`${r.dir}: ${r.ok ? 'OK' : 'DAMAGED'} (${count(r.rowsChecked)} rows, ${count(r.blobsChecked)} blobs${r.preparedChecked ? `, ${count(r.preparedChecked)} prepared meshes` : ''} checked)`];
  for (const p of r.problems) lines.push(`  damaged: ${p.where}: ${p.what}: ${p.reason}`);
  for (const n of r.notes) lines.push(`  note: ${n}`);
  if (!r.ok) {
    lines.push('  Nothing was changed. Re-run "dvid-desk sync" for the instances named above, or "dvid-desk rebuild-cache --cache DIR"');
    lines.push('  to move this cache aside (kept, not deleted) and start a fresh one.');
  }
  return lines.join('\n');
}

export async function runVerify(opts: VerifyOptions): Promise<number> {
  const root = resolveCacheRoot({ flag: opts.cache });
  const dirs = findCaches(root);
  if (dirs.length === 0) {
    console.log(opts.json ? JSON.stringify({ root, caches: [] }) : `No caches under ${root}.`);
    return 0;
  }
  const reports: VerifyReport[] = [];
  let bad = 0;
  for (const dir of dirs) {
    let r: VerifyReport;
    try {
      r = verifyCache(dir);
    } catch (err) {
      r = { dir, ok: false, rowsChecked: 0, blobsChecked: 0, preparedChecked: 0, problems: [{ where: 'database', what: dir, reason: (err as Error).message }], notes: [] };
    }
    if (!r.ok) bad++;
    reports.push(r);
    if (!opts.json) console.log(formatReport(r));
  }
  if (opts.json) console.log(JSON.stringify({ root, caches: reports }, null, 2));
  return bad ? 1 : 0;
}
