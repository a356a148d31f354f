/**
 * Worker-thread entry of a full ctx build (background-build.ts starts it). It opens its OWN
 * connection to the cache (it writes only the attached derived file, never the cache), builds the
 * node's ctx in one transaction, and reports the ctx id. The writer connection in the main thread
 * keeps capturing the cache's writes meanwhile; it applies them once the build has committed
 * (derived.ts), so what changed after this connection's snapshot is not lost.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import { chooseConfig } from './context';
import { buildCtx } from './rebuild';
import { DERIVED_FILE, DERIVED_SCHEMA, DERIVED_VERSION } from './schema';

export interface BuildWorkerData {
  dir: string;
  nodeId: number;
}

export type BuildWorkerReply = { ok: true; ctxId: number; ms: number } | { ok: false; name: string; message: string };

function build({ dir, nodeId }: BuildWorkerData): BuildWorkerReply {
  const t0 = performance.now();
  const db = new Database(join(dir, 'cache.sqlite'), { fileMustExist: true });
  try {
    // Long: the main thread's short commits to the cache never wait on this one, but a detach's
    // last write to the derived file would (it gives up after its own timeout).
    db.pragma('busy_timeout = 60000');
    db.prepare(`ATTACH DATABASE ? AS ${DERIVED_SCHEMA}`).run(join(dir, DERIVED_FILE));
    const version = db.pragma(`${DERIVED_SCHEMA}.user_version`, { simple: true }) as number;
    if (version !== DERIVED_VERSION) throw new Error(`${DERIVED_FILE} has layout ${version}, not ${DERIVED_VERSION}: the writer must reset it first`);
    const state = db.transaction(() => buildCtx(db, chooseConfig(db, nodeId)))();
    return { ok: true, ctxId: state.id, ms: performance.now() - t0 };
  } finally {
    db.close();
  }
}

const port = parentPort;
if (!port) throw new Error('main/derive/build-worker.ts must run in a worker thread');
let reply: BuildWorkerReply;
try {
  reply = build(workerData as BuildWorkerData);
} catch (err) {
  reply = { ok: false, name: err instanceof Error ? err.name : 'Error', message: err instanceof Error ? err.message : String(err) };
}
port.postMessage(reply);
