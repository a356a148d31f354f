/**
 * WAL checkpoints on a thread of their own while a sync writes.
 *
 * In WAL mode every commit appends pages to the -wal file and, by default, the committing connection
 * copies them back into the database file (with an fsync) whenever the WAL passes 1000 pages. During a
 * sync that copy is most of the commit cost and it runs on the main thread, which also parses streams
 * and feeds the decode pool: profiling a 10,648-block sync put 8.3 s of its main thread in commits with
 * automatic checkpoints and 3.3 s without. So while a sync runs, the writer's automatic checkpoints are
 * off and a worker thread with its own connection runs PASSIVE checkpoints (which never block the
 * writer or readers) every CHECK_MS. Stopping it runs a last checkpoint there and restores the writer's
 * automatic checkpoints. Durability is unchanged: the WAL is the log either way.
 */
import type Database from 'better-sqlite3';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const CHECK_MS = 100;
const DEFAULT_AUTOCHECKPOINT = 1000;

// Plain CommonJS run with `eval`: no bundler entry needed, the same under vitest, tsx and the build.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.sqlite);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 2000');
db.pragma('synchronous = NORMAL');
let failed = null;
function checkpoint() {
  try { db.pragma('wal_checkpoint(PASSIVE)'); }
  catch (e) { failed = String(e && e.message || e); }
}
const timer = setInterval(checkpoint, workerData.checkMs);
parentPort.on('message', (m) => {
  if (m !== 'stop') return;
  clearInterval(timer);
  checkpoint();
  db.close();
  parentPort.postMessage({ stopped: true, failed });
});
`;

export class BackgroundCheckpointer {
  readonly #worker: Worker;
  readonly #db: Database.Database;
  #stopped: Promise<string | null> | null = null;

  constructor(db: Database.Database, file: string) {
    this.#db = db;
    db.pragma('wal_autocheckpoint = 0');
    const sqlite = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { sqlite, file, checkMs: CHECK_MS } });
    this.#worker.unref();
    // A checkpointer that cannot run only costs speed: the writer checkpoints again by itself.
    this.#worker.on('error', () => this.#restore());
  }

  #restore(): void {
    if (this.#db.open) this.#db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
  }

  /** Last checkpoint on the thread, then the writer checkpoints by itself again. Returns the last checkpoint error, if any. */
  stop(): Promise<string | null> {
    this.#stopped ??= new Promise<string | null>((resolve) => {
      const done = (failed: string | null) => {
        this.#restore();
        void this.#worker.terminate();
        resolve(failed);
      };
      this.#worker.once('message', (m: { failed: string | null }) => done(m.failed));
      this.#worker.once('exit', () => done(null));
      this.#worker.once('error', (e) => done(String(e)));
      // oxlint-disable-next-line unicorn/require-post-message-target-origin -- a worker_threads Worker, not a window
      this.#worker.postMessage('stop');
    });
    return this.#stopped;
  }
}
