import Database from 'better-sqlite3';
import { chmodSync, existsSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BlobStore, sha256, type TempFile } from '../../../../main/cache/blob-store';
import { CacheError } from '../../../../main/cache/errors';
import { Cache } from '../../../../main/cache/index';
import { DB_FILE, MARKER_FILE, rebuildCache } from '../../../../main/cache/open';
import { verifyCache } from '../../../../main/cache/verify';
import { openTemp, seedData, seedRepo, tempDir } from '../../../support/cache-fixture';
import { LineReader, runTs, spawnTs } from '../../../support/spawn-ts';

const CHILD = join(import.meta.dirname, '../../../support/cache-child.ts');
const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
function temp() {
  const t = openTemp();
  cleanups.push(t.cleanup);
  return t;
}
function catchErr(fn: () => unknown): CacheError {
  let caught: unknown = null;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  if (!(caught instanceof CacheError)) throw new Error(`expected a CacheError, got ${String(caught)}`);
  return caught;
}

function checkPragmas(c: Cache): void {
  expect(c.db.db.pragma('journal_mode', { simple: true })).toBe('wal');
  expect(c.db.db.pragma('synchronous', { simple: true })).toBe(1);
  expect(c.db.db.pragma('foreign_keys', { simple: true })).toBe(1);
}

describe('opening a cache', () => {
  it('sets WAL, synchronous=NORMAL and foreign keys on every open', () => {
    const { cache, dir } = temp();
    checkPragmas(cache);
    cache.close();
    const again = Cache.open(dir);
    checkPragmas(again);
    // Foreign keys are enforced: a block row pointing at a node that does not exist is refused.
    const ids = seedRepo(again);
    expect(() => again.write(() => again.blocks.putBlock({ instanceId: ids.seg, nodeId: 999, scale: 0, supervoxels: true }, [0, 0, 0], null, ids.fetch))).toThrow(/FOREIGN KEY/);
    again.close();
  });

  it('writes a session marker, removes it on close, and allows one writer at a time', () => {
    const { cache, dir } = temp();
    expect(existsSync(join(dir, MARKER_FILE))).toBe(true);
    expect(catchErr(() => Cache.open(dir)).code).toBe('in-use');
    // A reader is fine alongside the writer.
    const reader = Cache.open(dir, { readonly: true });
    expect(reader.report.uncleanShutdown).toBe(false);
    reader.close();
    cache.close();
    expect(existsSync(join(dir, MARKER_FILE))).toBe(false);
    expect(existsSync(join(dir, `${DB_FILE}-wal`)) ? statSync(join(dir, `${DB_FILE}-wal`)).size : 0).toBe(0);
  });

  it('refuses a cache held by another live process', () => {
    const { cache, dir } = temp();
    cache.close();
    writeFileSync(join(dir, MARKER_FILE), JSON.stringify({ pid: process.ppid, startedAt: 'x' }));
    const err = catchErr(() => Cache.open(dir));
    expect(err.code).toBe('in-use');
    expect(err.message).toContain(`pid ${process.ppid}`);
  });

  it('runs quick_check after an unclean shutdown and says so', () => {
    const { cache, dir } = temp();
    seedData(cache, seedRepo(cache));
    cache.close();
    writeFileSync(join(dir, MARKER_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: 'x' })); // a pid that is not running
    const again = Cache.open(dir);
    expect(again.report.uncleanShutdown).toBe(true);
    expect(again.report.quickCheck).toEqual(['ok']);
    again.close();
    const third = Cache.open(dir);
    expect(third.report).toMatchObject({ uncleanShutdown: false, quickCheck: null });
    third.close();
  });

  it('refuses a damaged cache after an unclean shutdown, and rebuild-cache moves it aside without deleting it', () => {
    const { cache, dir } = temp();
    seedData(cache, seedRepo(cache));
    cache.close();
    // Damage an index page: swap two entries of the sv_map_body index so quick_check sees it out of order.
    const file = join(dir, DB_FILE);
    const db = new Database(file);
    const rootpage = db.prepare("SELECT rootpage FROM sqlite_schema WHERE name = 'labelsz_counts_rank'").pluck().get() as number;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.close();
    const bytes = readFileSync(file);
    const page = bytes.subarray((rootpage - 1) * pageSize, rootpage * pageSize);
    // Corrupt the page header's cell count so the b-tree no longer parses.
    page[3] = 0xff;
    page[4] = 0xff;
    writeFileSync(file, bytes);
    writeFileSync(join(dir, MARKER_FILE), JSON.stringify({ pid: 2 ** 22 + 12345, startedAt: 'x' }));
    const err = catchErr(() => Cache.open(dir));
    expect(err.code).toBe('damaged');
    expect(err.message).toMatch(/quick_check/);
    expect(err.message).toMatch(/rebuild-cache/);
    expect(err.message).toMatch(/Nothing was deleted/);
    expect(existsSync(file)).toBe(true);
    // Still refused next time (the marker stays until a check passes).
    expect(catchErr(() => Cache.open(dir)).code).toBe('damaged');

    const moved = rebuildCache(dir, new Date('2026-01-02T03:04:05Z'));
    expect(moved).toBe(`${dir}.damaged-20260102T030405`);
    cleanups.push(() => tempDirRemove(moved));
    expect(readFileSync(join(moved, DB_FILE))).toEqual(bytes);
    const fresh = Cache.open(dir);
    expect(fresh.report.created).toBe(true);
    fresh.close();
  });
});

function tempDirRemove(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

describe('a full disk', () => {
  it('SQLITE_FULL (max_page_count) gives a clear error, rolls back only the write in progress, and loses nothing', () => {
    const { cache, dir } = temp();
    const ids = seedRepo(cache);
    seedData(cache, ids);
    const before = cache.elements.count(ids.syn, ids.root);
    const pages = cache.db.db.pragma('page_count', { simple: true }) as number;
    cache.db.db.pragma(`max_page_count = ${pages + 3}`);
    const err = catchErr(() =>
      cache.write(() => {
        const f = cache.fetches!.record({ jobId: null, instanceId: ids.syn, nodeId: ids.root, request: 'big', mutationId: null });
        for (let b = 0; b < 500; b++) {
          const els = Array.from({ length: 100 }, (_, k) => ({ pos: [b * 64 + (k % 64), 64 + Math.floor(k / 64), 99] as [number, number, number], kind: 'PreSyn', tags: [], prop: { conf: '0.5' }, rels: [] }));
          cache.elements.putBlock(ids.syn, ids.root, [b, 1, 1], 64, els, true, f);
        }
      }, 'storing synapses'),
    );
    expect(err.code).toBe('full');
    expect(err.message).toMatch(/disk holding the cache is full/);
    expect(err.message).toMatch(/storing synapses/);
    expect(err.message).toMatch(/intact/);
    expect(cache.elements.count(ids.syn, ids.root)).toBe(before);
    // With room again, the same write succeeds.
    cache.db.db.pragma('max_page_count = 1073741823');
    cache.write(() => {
      const f = cache.fetches!.record({ jobId: null, instanceId: ids.syn, nodeId: ids.root, request: 'big', mutationId: null });
      cache.elements.putBlock(ids.syn, ids.root, [0, 1, 1], 64, [{ pos: [1, 64, 99], kind: 'PreSyn', tags: [], prop: {}, rels: [] }], true, f);
    });
    expect(cache.elements.count(ids.syn, ids.root)).toBe(before + 1);
    cache.close();
    expect(verifyCache(dir).problems).toEqual([]);
  });

  it('ENOSPC while writing a blob (to /dev/full) gives a clear error and leaves no partial blob', () => {
    const { cache, dir } = temp();
    const ids = seedRepo(cache);
    seedData(cache, ids);
    const blobsBefore = [...cache.db.blobs.list()].map((b) => b.hex).toSorted();
    class FullDisk extends BlobStore {
      protected override openTemp(): TempFile {
        return { fd: openSync('/dev/full', 'w'), path: '/dev/full', owned: false };
      }
    }
    const full = new FullDisk(cache.db.blobs.dir);
    const bytes = Buffer.alloc(200_000, 3);
    const err = catchErr(() => full.put(bytes));
    expect(err.code).toBe('full');
    expect(err.message).toMatch(/ENOSPC/);
    expect(existsSync('/dev/full')).toBe(true);
    expect(full.has(sha256(bytes))).toBe(false);
    expect([...cache.db.blobs.list()].map((b) => b.hex).toSorted()).toEqual(blobsBefore);
    expect(cache.db.blobs.leftoverTemps()).toEqual([]);
    cache.close();
    expect(verifyCache(dir).problems).toEqual([]);
  });
});

describe('a read-only cache', () => {
  it('gives a clear error for writing, and still verifies', async () => {
    const { cache, dir } = temp();
    seedData(cache, seedRepo(cache));
    cache.close();
    const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((f) => join(dir, f));
    for (const f of files) chmodSync(f, statSync(f).isDirectory() ? 0o555 : 0o444);
    chmodSync(dir, 0o555);
    chmodSync(join(dir, '..'), 0o755);
    cleanups.unshift(() => {
      chmodSync(dir, 0o755);
      for (const f of files) chmodSync(f, statSync(f).isDirectory() ? 0o755 : 0o644);
    });
    // root ignores permissions: run the attempt as an unprivileged user, as a real user would be.
    let asUser = {};
    if (process.getuid?.() === 0) {
      const scratch = tempDir('dvid-desk-nobody-');
      cleanups.push(scratch.cleanup);
      chmodSync(scratch.dir, 0o777);
      asUser = { uid: 65534, gid: 65534, env: { ...process.env, HOME: scratch.dir, TMPDIR: scratch.dir } };
    }
    const out = JSON.parse(await runTs(CHILD, ['try-open', dir], asUser)) as {
      writer: { code: string; message: string };
      verify: { ok: boolean; rows: number; problems: unknown[] };
    };
    expect(out.writer.code).toBe('read-only');
    expect(out.writer.message).toMatch(/read-only/);
    expect(out.writer.message).toMatch(/Nothing was changed/);
    expect(out.verify).toMatchObject({ ok: true, problems: [] });
    expect(out.verify.rows).toBeGreaterThan(10);
  });
});

describe('a writer killed mid-transaction', () => {
  it('leaves a consistent database; the next open runs quick_check', async () => {
    const t = tempDir();
    cleanups.push(t.cleanup);
    const child = spawnTs(CHILD, ['writer', t.dir]);
    const lines = new LineReader(child);
    await lines.next(/^committed 2$/);
    await lines.next(/^begin 3$/);
    await new Promise((r) => setTimeout(r, 30));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(existsSync(join(t.dir, MARKER_FILE))).toBe(true);

    const cache = Cache.open(t.dir);
    expect(cache.report.uncleanShutdown).toBe(true);
    expect(cache.report.quickCheck).toEqual(['ok']);
    const ids = { syn: cache.repo.instance('synapses')!.id, root: cache.repo.nodes()[0]!.id };
    const n = cache.elements.count(ids.syn, ids.root);
    // Whole transactions only: a multiple of the batch size, at least the three reported committed.
    expect(n % 20_000).toBe(0);
    expect(n).toBeGreaterThanOrEqual(60_000);
    cache.close();
    const report = verifyCache(t.dir);
    expect(report.problems).toEqual([]);
    expect(report.ok).toBe(true);
  }, 60_000);
});

