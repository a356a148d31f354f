/**
 * Freshness per instance and node (main/cache/freshness.ts), the staleness `status` prints and the UI
 * shows: a locked node is never stale; an open node is fresh until its last check is older than the
 * limit, stale after, with its age and what its last sync saw; data with no completed sync are stale.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cacheFreshness } from '../../../../main/cache/freshness';
import { writeMark, type SyncMark } from '../../../../main/cache/sync-marks';
import { cacheStatus } from '../../../../main/cache/status';
import { formatStatus } from '../../../../main/cli/status';
import { CHILD_UUID, openTemp, ROOT_UUID, seedData, seedRepo } from '../../../support/cache-fixture';

const cleanups: Array<() => void> = [];
afterEach(() => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0)) c();
});

const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0);

function mark(checkedAgo: number, log: SyncMark['log']): SyncMark {
  return { scope: 'all', syncedAt: NOW - checkedAgo - HOUR, checkedAt: NOW - checkedAgo, repoMutationId: '1000012399', jobId: 1, ...(log === undefined ? {} : { log }) };
}

describe('cache freshness', () => {
  it('says locked = never stale, open = fresh or stale by the age of the last check, and what the last sync saw', () => {
    const { cache, cleanup } = openTemp();
    cleanups.push(cleanup);
    seedData(cache, seedRepo(cache));
    cache.write(() => {
      writeMark(cache, ROOT_UUID, 'segmentation', mark(30 * 24 * HOUR, { count: 2, last: '1000012345' }));
      writeMark(cache, CHILD_UUID, 'segmentation', mark(10 * 60_000, { count: 4, last: '1000012399' }));
      writeMark(cache, CHILD_UUID, 'segmentation_annotations', mark(3 * HOUR, null));
      writeMark(cache, CHILD_UUID, 'EB', mark(2 * HOUR, undefined));
    });
    const f = cacheFreshness(cache, { now: NOW, staleAfterMs: HOUR });
    const at = (node: string, inst: string) => f.find((x) => x.node === node && x.instance === inst)!;

    const locked = at(ROOT_UUID, 'segmentation');
    expect(locked.state).toBe('locked');
    expect(locked.stale).toBe(false);
    expect(locked.ageMs).toBe(30 * 24 * HOUR);

    const fresh = at(CHILD_UUID, 'segmentation');
    expect(fresh).toMatchObject({ state: 'fresh', stale: false, ageMs: 10 * 60_000, scope: 'all' });
    expect(fresh.seen).toEqual({ repoMutationId: '1000012399', logRecords: 4, lastMutation: '1000012399', hasLog: true });
    expect(fresh.reason).toBe('open: checked 10 min ago');

    const stale = at(CHILD_UUID, 'segmentation_annotations');
    expect(stale).toMatchObject({ state: 'stale', stale: true, ageMs: 3 * HOUR });
    expect(stale.seen.hasLog).toBe(false);
    expect(stale.reason).toBe('open: not re-checked for 3 h');
    expect(at(CHILD_UUID, 'EB').seen.hasLog).toBeNull();

    // A longer limit makes the same data fresh.
    expect(cacheFreshness(cache, { now: NOW, staleAfterMs: 4 * HOUR }).find((x) => x.node === CHILD_UUID && x.instance === 'segmentation_annotations')!.stale).toBe(false);
  });

  it('calls data without a completed sync stale, and status prints every state', () => {
    const { cache, dir, cleanup } = openTemp();
    cleanups.push(cleanup);
    const ids = seedRepo(cache);
    seedData(cache, ids);
    // The seeded rows sit at the root (locked); mark the child's annotations as synced long ago.
    cache.write(() => writeMark(cache, CHILD_UUID, 'segmentation_annotations', mark(5 * HOUR, null)));
    const f = cacheFreshness(cache, { now: NOW, staleAfterMs: HOUR });
    expect(f.filter((x) => x.node === ROOT_UUID).every((x) => x.state === 'locked' && !x.stale)).toBe(true);
    cache.close();
    const s = cacheStatus(dir, { now: NOW, staleAfterMs: HOUR });
    const text = formatStatus(s, NOW);
    expect(text).toMatch(/segmentation\s+labelmap\s+28841c82 locked\s+.*locked: never stale/);
    expect(text).toMatch(/segmentation_annotations\s+keyvalue\s+7f0c9d2a open\s+nothing yet\s+STALE open: not re-checked for 5 h; saw no mutation log on the server, repo mutation id 1000012399/);
  });
});
