/**
 * Keyvalue values, a batch of keys per item (`GET /keyvalues`, protobuf, streamed in request order).
 * Large values are written to the blob store before the transaction that records them (blob writes
 * are atomic; a crash in between leaves an unreferenced blob, never a row without its blob). Body
 * annotation values also get their parsed row; skeletons their NeuTu mutation id; meshes their sniffed
 * format. Values that do not parse are kept raw (the server holds them that way), not failed. Big
 * body meshes also get their preview prepared in the worker pool (mesh-previews.ts).
 * Resumes by data: keys stored by this job (any job on a locked node) are skipped.
 */
import { parseBodyAnnotation, type ParsedAnnotation } from '../../cache/body-annotation-store';
import type { PreparedValue } from '../../cache/kv-store';
import { sniffMeshFormat } from '../../formats/mesh';
import { parseSwc } from '../../formats/swc';
import type { SyncEnv } from '../env';
import type { ItemContext, ItemOutcome, Syncer } from '../item';
import type { ItemSpec, KvRole } from '../plan';
import { bodyOfKey } from '../planner';
import { MeshPreviews } from './mesh-previews';

type Spec = Extract<ItemSpec, { kind: 'kv' }>;

const COMMIT_KEYS = 200;
const COMMIT_BYTES = 8 << 20;

interface Ready {
  key: string;
  value: PreparedValue;
  body: bigint | null;
  format: string | null;
  mutationId: bigint | null;
  parsed: ParsedAnnotation | null;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

export function describeValue(role: KvRole, key: string, bytes: Uint8Array): Omit<Ready, 'key' | 'value'> {
  const body = bodyOfKey(role, key);
  switch (role) {
    case 'body-annotations': {
      const parsed = body === null ? null : parseBodyAnnotation(utf8.decode(bytes));
      return { body, format: 'json', mutationId: null, parsed };
    }
    case 'skeletons': {
      let mutationId: bigint | null = null;
      try {
        mutationId = parseSwc(utf8.decode(bytes)).mutationId;
      } catch {
        // A malformed skeleton is still what the server holds: kept raw.
      }
      return { body, format: 'swc', mutationId, parsed: null };
    }
    case 'meshes':
    case 'roi-meshes':
    case 'generic':
      return { body, format: bytes.length ? sniffMeshFormat(bytes) : null, mutationId: null, parsed: null };
  }
}

export class KeyvalueSyncer implements Syncer {
  readonly kind = 'kv';
  constructor(private readonly env: SyncEnv) {}

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const env = this.env;
    const spec = ctx.spec as Spec;
    const instanceId = ctx.item.instanceId;
    const nodeId = ctx.job.nodeId;
    const have = ctx.cache.kv.present(instanceId, nodeId, spec.keys, env.presentJob(ctx.job.id));
    const todo = spec.keys.filter((k) => !have.has(k));
    let doneItems = have.size;
    let bytes = ctx.item.bytes;
    let pending: Ready[] = [];
    let pendingBytes = 0;
    const commit = (final: boolean) => {
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      doneItems += batch.length;
      ctx.commit(
        (fetchId) => {
          for (const r of batch) {
            ctx.cache.kv.put(instanceId, nodeId, r.key, r.value, { body: r.body, format: r.format, mutationId: r.mutationId }, fetchId);
            if (spec.role === 'body-annotations' && r.body !== null) {
              if (r.parsed) ctx.cache.bodyAnnotations.put(instanceId, nodeId, r.body, r.parsed, fetchId);
              else ctx.cache.bodyAnnotations.delete(instanceId, nodeId, r.body);
            }
          }
        },
        { doneItems, bytes, done: final },
      );
    };
    const previews = spec.role === 'meshes' ? new MeshPreviews(env.pool, ctx.cache.db.prepared, ctx.signal) : null;
    try {
      if (todo.length) {
        const kv = env.client.keyvalue(env.node, env.name(instanceId));
        try {
          for await (const rec of kv.getMany(todo, { signal: ctx.signal })) {
            const value = rec.value ?? new Uint8Array(0);
            bytes += value.length + rec.key.length + 8;
            ctx.received(value.length + rec.key.length + 8);
            const ready: Ready = { key: rec.key, value: ctx.cache.kv.prepare(value), ...describeValue(spec.role, rec.key, value) };
            pending.push(ready);
            pendingBytes += value.length;
            if (pending.length >= COMMIT_KEYS || pendingBytes >= COMMIT_BYTES) commit(false);
            if (previews && ready.body !== null) await previews.add(value, ready.value.hash, ready.format, `${env.name(instanceId)}/${rec.key}`);
          }
        } catch (err) {
          if (!ctx.signal.aborted && pending.length) commit(false);
          throw err;
        }
      }
      commit(true);
    } finally {
      await previews?.drain();
    }
    return 'done';
  }
}

/**
 * After every batch of a keyvalue instance: drops cached keys of the synced range (or instance) that
 * the server's listing, taken when the sync was planned, no longer has; or, in an incremental sync,
 * exactly the keys the mutation log says were deleted (`drop`).
 */
export class KeyvaluePruneSyncer implements Syncer {
  readonly kind = 'kv-prune';

  async run(ctx: ItemContext): Promise<ItemOutcome> {
    const spec = ctx.spec as Extract<ItemSpec, { kind: 'kv-prune' }>;
    const instanceId = ctx.item.instanceId;
    const nodeId = ctx.job.nodeId;
    if (spec.drop) {
      const drop = spec.drop;
      ctx.commit(
        () => {
          for (const k of drop) {
            const e = ctx.cache.kv.entry(instanceId, nodeId, k);
            if (!e) continue;
            ctx.cache.kv.delete(instanceId, nodeId, k);
            if (e.body !== null) ctx.cache.bodyAnnotations.delete(instanceId, nodeId, e.body);
          }
        },
        { doneItems: drop.length, done: true },
      );
      return 'done';
    }
    const listed = new Set<string>();
    for (const it of ctx.cache.jobs.items(ctx.job.id)) {
      if (it.instanceId !== instanceId || it.kind !== 'kv') continue;
      for (const k of (JSON.parse(it.spec) as { keys: string[] }).keys) listed.add(k);
    }
    const stale = ctx.cache.kv.keysIn(instanceId, nodeId, spec.first, spec.last).filter((k) => !listed.has(k));
    ctx.commit(
      () => {
        for (const k of stale) {
          const e = ctx.cache.kv.entry(instanceId, nodeId, k);
          ctx.cache.kv.delete(instanceId, nodeId, k);
          if (e && e.body !== null) ctx.cache.bodyAnnotations.delete(instanceId, nodeId, e.body);
        }
      },
      { doneItems: stale.length, done: true },
    );
    return 'done';
  }
}
