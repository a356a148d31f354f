/**
 * The demo DVID server for the client's integration tests, plus a client pointed at it. Tests talk to
 * the real server over loopback, with its fault injection and request log; nothing is mocked.
 */
import { startDemoServer, type DemoServer, type LogEntry } from '../../main/demo/index';
import { DvidClient } from '../../main/dvid/client';
import type { DvidHttpOptions } from '../../main/dvid/http';
import { asUuid, type Uuid } from '../../main/dvid/paths';

export interface DemoFixture {
  demo: DemoServer;
  root: Uuid;
  child: Uuid;
  /** A client with test-friendly defaults (short backoff); options override them. */
  client(opts?: Partial<DvidHttpOptions>): DvidClient;
  close(): Promise<void>;
}

export async function startDemoFixture(): Promise<DemoFixture> {
  const demo = await startDemoServer({ preset: 'small' });
  const clients: DvidClient[] = [];
  return {
    demo,
    root: asUuid(demo.uuids.root),
    child: asUuid(demo.uuids.child),
    client(opts = {}) {
      const c = new DvidClient({ baseUrl: demo.url, retry: { baseDelayMs: 20, maxDelayMs: 200 }, ...opts });
      clients.push(c);
      return c;
    },
    async close() {
      await Promise.all(clients.map((c) => c.close()));
      await demo.close();
    },
  };
}

/** Log entries for requests whose path contains `part`, made after `since` (a log length). */
export function requestsSince(demo: DemoServer, since: number, part: string | RegExp, method?: string): LogEntry[] {
  return demo.log.entries.filter((e) => e.seq > since && (typeof part === 'string' ? e.path.includes(part) : part.test(e.path)) && (!method || e.method === method));
}

/** The current last sequence number of the server's log (entries appear when their response ends). */
export function logMark(demo: DemoServer): number {
  const all = demo.log.entries;
  return all.length ? all[all.length - 1]!.seq : 0;
}

/** Waits until the server has logged `n` entries matching, e.g. for an exchange the client cut short. */
export async function waitForLog(demo: DemoServer, since: number, part: string, n = 1, timeoutMs = 10_000): Promise<LogEntry[]> {
  const t0 = Date.now();
  for (;;) {
    const got = requestsSince(demo, since, part);
    if (got.length >= n) return got;
    if (Date.now() - t0 > timeoutMs) throw new Error(`server logged ${got.length} of ${n} requests to ${part}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
