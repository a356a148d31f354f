/**
 * `dvid-desk status [--cache DIR] [--json] [--stale-after AGE] [--check]`: what each cache holds, per
 * instance and node, and how fresh. Offline by default (the sync marks say when each was last
 * checked); `--check` also asks each cache's server what changed since (main/sync/recheck.ts: the
 * mutation logs, or per-body /lastmod where the server keeps none), reading only.
 */
import { Cache, findCaches } from '../cache/index';
import { cacheStatus, type CacheStatus, type NodeHoldings } from '../cache/status';
import { DvidClient } from '../dvid/client';
import { resolveCacheRoot } from '../paths';
import { checkAgainstServer, type ServerCheck } from '../sync/recheck';
import { ago, bytes, count, table } from './format';
import { UsageError } from './options';

export interface StatusOptions {
  cache?: string;
  json?: boolean;
  /** Age (e.g. "30m", "2h", "1d"; a number = minutes) after which open-node data count as stale. */
  staleAfter?: string;
  /** Ask each cache's server what changed since the last sync. */
  check?: boolean;
  token?: string;
}

/** A node's holdings with what the server said (`--check`). */
export type CheckedHoldings = NodeHoldings & { server?: ServerCheck };

/** A cache's status with the server check's outcome (`--check`). */
export type CheckedStatus = CacheStatus & { serverCheck?: { repoMutationId: string | null; error: string | null } };

export function parseAge(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d)?\s*$/i.exec(text);
  if (!m) throw new Error(`"${text}" is not an age (e.g. 30m, 2h, 1d)`);
  const unit = (m[2] ?? 'm').toLowerCase();
  const f = unit === 's' ? 1000 : unit === 'h' ? 3_600_000 : unit === 'd' ? 86_400_000 : 60_000;
  return Math.round(Number(m[1]) * f);
}

const LABELS: ReadonlyArray<[string, string, (n: number) => string]> = [
  ['blocks', 'blocks', count],
  ['emptyBlocks', 'empty blocks', count],
  ['mappedSupervoxels', 'supervoxels mapped', count],
  ['elements', 'elements', count],
  ['elementSupervoxels', 'with supervoxel', count],
  ['keys', 'keys', count],
  ['keyBytes', '', bytes],
  ['bodyAnnotations', 'body annotations', count],
  ['roiBlocks', 'ROI blocks', count],
  ['labelszRows', 'ranked labels', count],
];

function holds(h: NodeHoldings): string {
  const parts: string[] = [];
  for (const [key, label, fmt] of LABELS) {
    const n = h.counts[key];
    if (n) parts.push(label ? `${fmt(n)} ${label}` : fmt(n));
  }
  return parts.join(', ') || 'nothing yet';
}

/** "locked: never stale", "STALE open: not re-checked for 2 h; saw mutation 1000012345 (4 log records)", … */
export function freshnessText(n: CheckedHoldings, now: number): string {
  const text = offlineFreshnessText(n, now);
  const c = n.server;
  if (!c) return text;
  if (c.behind === true) return `STALE ${text.replace(/^STALE /, '')}; server: ${c.detail}`;
  if (c.behind === false) return `${text.replace(/^STALE /, '')}; server: up to date (${c.detail})`;
  return `${text}; server: ${c.detail}`;
}

function offlineFreshnessText(n: NodeHoldings, now: number): string {
  const f = n.freshness;
  if (!f) return `fetched ${ago(n.lastFetchedAt, now)}`;
  const seen: string[] = [];
  if (f.seen.lastMutation !== null && /^\d+$/.test(f.seen.lastMutation)) seen.push(`last mutation ${f.seen.lastMutation}`);
  if (f.seen.logRecords !== null) seen.push(`${f.seen.logRecords} log record(s)`);
  if (f.seen.hasLog === false) seen.push('no mutation log on the server');
  if (f.seen.repoMutationId !== null && !f.locked) seen.push(`repo mutation id ${f.seen.repoMutationId}`);
  return `${f.stale ? 'STALE ' : ''}${f.reason}${seen.length && !f.locked ? `; saw ${seen.join(', ')}` : ''}`;
}

export function formatStatus(s: CheckedStatus, now = Date.now()): string {
  const lines: string[] = [];
  const repo = s.repo;
  lines.push(`${s.server ?? '(unknown server)'}  repo ${repo?.rootUuid ?? '?'}${repo?.alias ? ` "${repo.alias}"` : ''}`);
  lines.push(`  cache: ${s.dir} (schema v${s.schemaVersion})`);
  if (repo) lines.push(`  repo read ${ago(repo.fetchedAt, now)}${repo.mutationId ? `, mutation id ${repo.mutationId}` : ''}`);
  if (s.uncleanShutdown) lines.push('  note: the last writer session did not close cleanly (the next sync runs a quick check)');
  if (s.serverCheck?.error) lines.push(`  server check failed: ${s.serverCheck.error} (showing what the cache knows)`);
  else if (s.serverCheck) lines.push(`  checked with the server just now (repo mutation id ${s.serverCheck.repoMutationId})`);
  const rows: string[][] = [];
  for (const i of s.instances) {
    for (const n of i.nodes) {
      rows.push([i.name, i.type, `${n.uuid.slice(0, 8)}${n.locked ? ' locked' : ' open'}`, holds(n), freshnessText(n, now)]);
    }
    if (i.nodes.length === 0) rows.push([i.name, i.type, '-', 'not synced', '']);
  }
  if (rows.length) lines.push(table([['  instance', 'type', 'node', 'holds', 'freshness'], ...rows.map((r) => [`  ${r[0]}`, ...r.slice(1)])]));
  for (const j of s.jobs) {
    lines.push(`  sync #${j.id} of ${j.node.slice(0, 8)}: ${j.state}, ${j.itemsDone}/${j.items} items done${j.itemsFailed ? `, ${j.itemsFailed} failed` : ''}, updated ${ago(j.updatedAt, now)}`);
  }
  return lines.join('\n');
}

export async function runStatus(opts: StatusOptions): Promise<number> {
  let staleAfterMs: number | undefined;
  try {
    staleAfterMs = opts.staleAfter ? parseAge(opts.staleAfter) : undefined;
  } catch (err) {
    throw new UsageError(`--stale-after: ${(err as Error).message}`);
  }
  const root = resolveCacheRoot({ flag: opts.cache });
  const dirs = findCaches(root);
  if (dirs.length === 0) {
    if (opts.json) console.log(JSON.stringify({ root, caches: [] }));
    else console.log(`No caches under ${root} yet: "dvid-desk sync" creates one.`);
    return 0;
  }
  const statuses: CheckedStatus[] = [];
  let failed = 0;
  for (const dir of dirs) {
    try {
      statuses.push(cacheStatus(dir, { staleAfterMs }));
    } catch (err) {
      failed++;
      console.error(`dvid-desk: ${dir}: ${(err as Error).message}`);
    }
  }
  if (opts.check) {
    const token = (opts.token ?? process.env.DVID_TOKEN ?? '').trim() || null;
    for (const s of statuses) await addServerCheck(s, token);
  }
  if (opts.json) console.log(JSON.stringify({ root, caches: statuses }, null, 2));
  else console.log([`Cache root: ${root}`, ...statuses.map((s) => formatStatus(s))].join('\n\n'));
  return failed ? 1 : 0;
}

/** Asks the cache's server (`--check`) and attaches what it says to each node's holdings. */
async function addServerCheck(s: CheckedStatus, token: string | null): Promise<void> {
  if (!s.server || !s.repo) {
    s.serverCheck = { repoMutationId: null, error: 'the cache does not say which server and repo it holds' };
    return;
  }
  const client = new DvidClient({ baseUrl: s.server, token, timeouts: { connectMs: 5_000, headersMs: 30_000, bodyIdleMs: 30_000 } });
  let cache: Cache | null = null;
  try {
    const repo = await client.repos.repoInfo(s.repo.rootUuid);
    cache = Cache.open(s.dir, { readonly: true });
    const checks = await checkAgainstServer(cache, client, repo);
    for (const c of checks) {
      const holding = s.instances.find((i) => i.name === c.instance)?.nodes.find((n) => n.uuid === c.node) as CheckedHoldings | undefined;
      if (holding) holding.server = c;
    }
    s.serverCheck = { repoMutationId: repo.mutationId.toString(), error: null };
  } catch (err) {
    s.serverCheck = { repoMutationId: null, error: (err as Error).message };
  } finally {
    cache?.close();
    await client.close();
  }
}
