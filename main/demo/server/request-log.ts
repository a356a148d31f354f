/** What the demo server was asked and what it answered, for tests to read. */

export interface LogEntry {
  /** Order of arrival, from 1. */
  seq: number;
  method: string;
  /** Decoded URL path. */
  path: string;
  /** Raw query string without "?", "" when none. */
  query: string;
  /** Bytes of the request body. */
  requestBytes: number;
  status: number;
  /** Response body bytes actually written. */
  bytes: number;
  /** Milliseconds from arrival to the end of the response (or of the connection). */
  ms: number;
  /** The fault applied, if any (its `kind`). */
  fault: string | null;
  /** How the exchange ended: "ok", or "reset", "truncated", "stalled", "aborted" (client went away). */
  outcome: string;
  /** Instance the request addressed, when it addressed one. */
  instance: string | null;
  /** Node VersionID it resolved to (1 root, 2 child), when it resolved one. */
  versionId: number | null;
}

export class RequestLog {
  private readonly list: LogEntry[] = [];
  private next = 1;

  /** Every exchange so far, in arrival order (entries appear when the response ends). */
  get entries(): readonly LogEntry[] {
    return this.list;
  }

  nextSeq(): number {
    return this.next++;
  }

  add(e: LogEntry): void {
    this.list.push(e);
    this.list.sort((a, b) => a.seq - b.seq);
    if (this.list.length > 100_000) this.list.splice(0, this.list.length - 100_000);
  }

  clear(): void {
    this.list.length = 0;
  }

  /** Entries whose path matches (substring or RegExp) and, when given, method. */
  find(path: string | RegExp, method?: string): LogEntry[] {
    return this.list.filter((e) => (typeof path === 'string' ? e.path.includes(path) : path.test(e.path)) && (!method || e.method === method));
  }
}
