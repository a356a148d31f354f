/**
 * Background checkpoints (main/cache/checkpointer.ts): while they run, the writer never copies the WAL
 * back itself, another thread does, the data stay whole, and stopping hands checkpoints back.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sha256 } from '../../../../main/cache/blob-store';
import { DB_FILE } from '../../../../main/cache/open';
import { verifyCache } from '../../../../main/cache/verify';
import { openTemp, seedRepo } from '../../../support/cache-fixture';

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

const walBytes = (dir: string) => statSync(join(dir, `${DB_FILE}-wal`)).size;
const dbBytes = (dir: string) => statSync(join(dir, DB_FILE)).size;

describe('background checkpoints', () => {
  it('take the WAL off the writer while it writes, keep every row, and give checkpoints back when stopped', async () => {
    const t = openTemp();
    cleanup = t.cleanup;
    const { cache } = t;
    const ids = seedRepo(cache);
    const db = cache.db.db;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    const cp = cache.db.backgroundCheckpoints()!;
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0);

    // ~24 MB of block contents in 48 commits: far past the 1000-page automatic threshold.
    const fetchId = cache.write(() => cache.fetches!.record({ jobId: null, instanceId: ids.seg, nodeId: ids.root, request: 'test', mutationId: null }));
    for (let i = 0; i < 48; i++) {
      cache.write(() => {
        const data = new Uint8Array(512 * 1024).fill(i);
        const hash = new Uint8Array(sha256(data));
        cache.blocks.putContent({ hash, data, gx: 8, gy: 8, gz: 8, labels: new Uint8Array(12), labelCount: 1 });
        cache.blocks.putBlock({ instanceId: ids.seg, nodeId: ids.root, scale: 0, supervoxels: true }, [i, 0, 0], hash, fetchId);
      });
    }
    // The writer did not checkpoint: the WAL holds every page written so far.
    expect(walBytes(t.dir)).toBeGreaterThan(20 * 1024 * 1024);
    // The other thread did: only a checkpoint grows the database file, and this connection never runs one.
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && dbBytes(t.dir) < 20 * 1024 * 1024) await new Promise((r) => setTimeout(r, 50));
    expect(dbBytes(t.dir)).toBeGreaterThan(20 * 1024 * 1024);

    expect(await cp.stop()).toBeNull();
    expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(1000);
    expect(db.prepare('SELECT count(*) FROM block_content').pluck().safeIntegers(false).get()).toBe(48);
    cache.close();
    const report = verifyCache(t.dir);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  });
});
