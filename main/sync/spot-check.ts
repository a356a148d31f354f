/**
 * The spot check of a locked node. DVID refuses writes on locked nodes, so their cached data are
 * final; only a server run in "full write" mode (or with an admin token) can change them. A re-sync
 * of a locked node therefore downloads nothing and instead compares a few cheap facts with what
 * its last sync saw:
 *
 * - labelmap and keyvalue: the node's mutation log (record count and last record): a write behind
 *   the lock is logged like any other;
 * - labelmap: `sample` stored blocks per instance, fetched again in one /specificblocks and compared
 *   by sha256 of the gunzipped block bytes (what the cache stores);
 * - keyvalue: `sample` stored keys (small values first), fetched again in one /keyvalues and
 *   compared by sha256.
 *
 * Samples are spread over the stored rows (evenly by key order), so repeated checks look at the same
 * places; the logs cover the rest. A finding does not change the cache: the caller reports it and a
 * `--full` sync re-reads the node.
 */
import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import type { Cache } from '../cache/index';
import type { DvidClient } from '../dvid/client';
import type { Uuid } from '../dvid/paths';
import type { ResolvedNode } from '../dvid/repo';
import { positionOf, readLog, type SyncMark } from './marks';

export interface SpotFinding {
  instance: string;
  what: string;
}

export interface SpotCheckResult {
  node: string;
  /** Instances compared, with what was compared. */
  checked: Array<{ instance: string; facts: string[] }>;
  findings: SpotFinding[];
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function spread<T>(rows: readonly T[], n: number): T[] {
  if (rows.length <= n) return [...rows];
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(rows[Math.floor(((i + 0.5) * rows.length) / n)]!);
  return out;
}

function blockSizeOf(cache: Cache, instanceId: number, nodeId: number): [number, number, number] {
  const text = cache.infos.get(instanceId, nodeId);
  try {
    const bs = (JSON.parse(text ?? '{}') as { Extended?: { BlockSize?: number[] } }).Extended?.BlockSize;
    if (bs && bs.length === 3) return [bs[0]!, bs[1]!, bs[2]!];
  } catch {
    // fall through to DVID's default
  }
  return [64, 64, 64];
}

export async function spotCheck(
  cache: Cache,
  client: DvidClient,
  resolved: ResolvedNode,
  marks: ReadonlyMap<string, SyncMark>,
  opts: { sample?: number; signal?: AbortSignal } = {},
): Promise<SpotCheckResult> {
  const node: Uuid = resolved.uuid;
  const nodeId = cache.repo.node(node)!.id;
  const sample = opts.sample ?? 3;
  const result: SpotCheckResult = { node, checked: [], findings: [] };
  const db = cache.db.db;
  for (const [name, mark] of marks) {
    const inst = resolved.repo.instances.get(name);
    const type = inst ? (inst.type === 'other' ? inst.base.typeName : inst.type) : 'unknown';
    const instanceId = cache.repo.instance(name)?.id;
    if (instanceId === undefined) continue;
    const facts: string[] = [];
    const kind = type === 'labelmap' ? 'labelmap' : type === 'keyvalue' || type === 'neuronjson' ? 'keyvalue' : null;
    if (kind && mark.log) {
      const now = positionOf(kind, await readLog(client, node, name, kind, opts.signal));
      facts.push('mutation log');
      if (!now) result.findings.push({ instance: name, what: 'the server no longer answers its mutation log' });
      else if (now.count !== mark.log.count || now.last !== mark.log.last) {
        result.findings.push({ instance: name, what: `its mutation log at this locked node has ${now.count} record(s) (last ${now.last ?? '-'}); the last sync saw ${mark.log.count} (last ${mark.log.last ?? '-'})` });
      }
    }
    if (type === 'labelmap') {
      const rows = db
        .prepare('SELECT scale, supervoxels, bx, by, bz, hash FROM blocks WHERE instance_id = ? AND node_id = ? AND hash IS NOT NULL ORDER BY scale, supervoxels, bz, by, bx')
        .safeIntegers(false)
        .all(instanceId, nodeId) as Array<{ scale: number; supervoxels: number; bx: number; by: number; bz: number; hash: Buffer }>;
      const picked = spread(rows, sample);
      const groups = new Map<string, typeof picked>();
      for (const r of picked) {
        const k = `${r.scale}/${r.supervoxels}`;
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      const blockSize = blockSizeOf(cache, instanceId, nodeId);
      for (const list of groups.values()) {
        const want = new Map(list.map((r) => [`${r.bx},${r.by},${r.bz}`, r]));
        const seen = new Set<string>();
        const lm = client.labelmap(node, name);
        for await (const rec of lm.specificBlocks(
          list.map((r) => [r.bx, r.by, r.bz] as [number, number, number]),
          { compression: 'blocks', supervoxels: list[0]!.supervoxels === 1, scale: list[0]!.scale, blockSize, signal: opts.signal },
        )) {
          const k = `${rec.bx},${rec.by},${rec.bz}`;
          const r = want.get(k);
          if (!r) continue;
          seen.add(k);
          let got: string;
          try {
            got = sha(gunzipSync(rec.payload));
          } catch {
            got = 'undecodable';
          }
          if (got !== r.hash.toString('hex')) result.findings.push({ instance: name, what: `block ${k} (scale ${r.scale}) differs from the cached one` });
        }
        for (const k of want.keys()) if (!seen.has(k)) result.findings.push({ instance: name, what: `block ${k} is cached but the server no longer has it` });
      }
      if (picked.length) facts.push(`${picked.length} block(s)`);
    } else if (kind === 'keyvalue') {
      // Small values (kept inline, ≤ 64 KiB) keep the check cheap; the log covers the rest.
      const small = db.prepare('SELECT key FROM kv_entries WHERE instance_id = ? AND node_id = ? AND value IS NOT NULL ORDER BY key').pluck().all(instanceId, nodeId) as string[];
      const keys = spread(small.length ? small : cache.kv.keys(instanceId, nodeId), sample);
      if (keys.length) {
        const kv = client.keyvalue(node, name);
        const got = new Map<string, string>();
        for await (const rec of kv.getMany(keys, { signal: opts.signal })) got.set(rec.key, sha(rec.value ?? new Uint8Array(0)));
        for (const k of keys) {
          const e = cache.kv.entry(instanceId, nodeId, k);
          if (e && got.get(k) !== e.hash.toString('hex')) result.findings.push({ instance: name, what: `key ${JSON.stringify(k)} differs from the cached value` });
        }
        facts.push(`${keys.length} key(s)`);
      }
    }
    result.checked.push({ instance: name, facts });
  }
  return result;
}
