/**
 * Writing a reply, the way Go's net/http writes DVID's: a body given whole gets a Content-Length;
 * a streamed body (a generator of parts: block records, tar entries, JSON pieces) goes out with
 * chunked encoding as it is produced, respecting back-pressure. If producing a part throws a
 * DvidError after something was written, its text is appended to the 200 response, as http.Error
 * does after the first write; before the first write it becomes the reply.
 *
 * Faults (faults.ts) act here, on the bytes, so every route supports every kind.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DvidError } from './errors';
import { faultStatusBody, type FaultRule } from './faults';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  /** null = no body; Uint8Array = whole; iterable = streamed parts */
  body: Uint8Array | Iterable<Uint8Array> | null;
  /**
   * Never answer: not even the headers go out, until the client gives up (a DVID handler blocked for
   * good, e.g. /mutations-range without a jsonstore, whose "[" stays in Go's response buffer).
   */
  hang?: boolean;
}

/** A reply that never comes. */
export function hangReply(): Reply {
  return { status: 0, headers: {}, body: null, hang: true };
}

const enc = new TextEncoder();

export function jsonReply(text: string, contentType = 'application/json'): Reply {
  return { status: 200, headers: { 'Content-Type': contentType }, body: enc.encode(text) };
}

export function textReply(text: string, contentType = 'text/plain'): Reply {
  return { status: 200, headers: { 'Content-Type': contentType }, body: enc.encode(text) };
}

export function binaryReply(bytes: Uint8Array, contentType = 'application/octet-stream'): Reply {
  return { status: 200, headers: { 'Content-Type': contentType }, body: bytes };
}

export function errorReply(e: DvidError): Reply {
  if (e.body === null) return { status: e.status, headers: {}, body: null };
  return { status: e.status, headers: { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' }, body: enc.encode(e.body) };
}

export interface WriteResult {
  status: number;
  bytes: number;
  outcome: 'ok' | 'reset' | 'truncated' | 'stalled' | 'aborted';
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function writeReply(req: IncomingMessage, res: ServerResponse, reply: Reply, path: string, fault: FaultRule | null, reqId: number): Promise<WriteResult> {
  let bytes = 0;
  let aborted = false;
  res.on('close', () => {
    if (!res.writableFinished) aborted = true;
  });

  if (fault?.kind === 'status') {
    const status = fault.status ?? 503;
    const body = enc.encode(faultStatusBody(status, path, reqId));
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff', 'Content-Length': String(body.length) };
    if (status === 429 || status === 503) headers['Retry-After'] = String(fault.retryAfter ?? 1);
    res.writeHead(status, headers);
    res.end(body);
    return { status, bytes: body.length, outcome: 'ok' };
  }
  if (fault?.kind === 'reset' && fault.afterBytes === undefined) {
    req.socket.destroy();
    return { status: 0, bytes: 0, outcome: 'reset' };
  }

  // Materialise the parts lazily; the first part decides between a reply and an error reply.
  const whole = reply.body instanceof Uint8Array ? reply.body : null;
  const iter: Iterator<Uint8Array> | null = reply.body && !whole ? (reply.body as Iterable<Uint8Array>)[Symbol.iterator]() : null;
  let first: Uint8Array | null = whole;
  let status = reply.status;
  let headers = reply.headers;
  let pendingError: DvidError | null = null;
  if (iter) {
    try {
      const r = iter.next();
      first = r.done ? null : r.value;
    } catch (e) {
      if (!(e instanceof DvidError)) throw e;
      const er = errorReply(e);
      status = er.status;
      headers = er.headers;
      first = er.body as Uint8Array | null;
    }
  }
  const streamed = iter !== null && status === reply.status;
  const out: Record<string, string> = { ...headers };
  // A whole body is announced with its length, unless a fault is about to append to it.
  if (!streamed && fault?.kind !== 'error-after-200') out['Content-Length'] = String(first?.length ?? 0);
  res.writeHead(status, out);

  // Everything after the headers goes through `emit`, which applies the byte-level faults.
  const cut = fault?.afterBytes;
  const chunk = Math.max(1, fault?.chunkBytes ?? 7);
  let partIndex = 0;
  let stop: WriteResult['outcome'] | null = null;
  let corruptDone = false;
  let splitPauses = 0;
  const write = async (b: Uint8Array, flush = false): Promise<void> => {
    if (b.length === 0 || aborted) return;
    bytes += b.length;
    if (flush) {
      // Wait until the bytes reached the socket, so a connection cut right after still delivers them.
      await new Promise<void>((r) => res.write(b, () => r()));
      return;
    }
    if (!res.write(b)) {
      await new Promise<void>((r) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          r();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  };
  const emit = async (part: Uint8Array, total: number | null): Promise<void> => {
    let p = part;
    if (fault?.kind === 'corrupt' && !corruptDone) {
      const at = fault.corruptAt !== undefined ? fault.corruptAt - bytes : Math.floor(p.length / 2);
      if (at >= 0 && at < p.length) {
        p = p.slice();
        for (let i = at; i < Math.min(p.length, at + 8); i++) p[i] = p[i]! ^ 0xa5;
        corruptDone = true;
      }
    }
    const limitKinds = fault?.kind === 'truncate' || fault?.kind === 'stall' || fault?.kind === 'reset';
    if (limitKinds) {
      const limit = cut ?? Math.floor((total ?? p.length * 2) / 2);
      if (bytes + p.length >= limit) {
        await write(p.subarray(0, Math.max(0, limit - bytes)), true);
        stop = fault!.kind === 'truncate' ? 'truncated' : fault!.kind === 'stall' ? 'stalled' : 'reset';
        return;
      }
    }
    if (fault?.kind === 'split') {
      for (let i = 0; i < p.length; i += chunk) {
        await write(p.subarray(i, i + chunk));
        // The first writes go out one by one (a pause lets each leave as its own packet); later
        // ones stay separate writes without slowing a large stream down.
        if (splitPauses++ < 40) await sleep(1);
      }
    } else {
      await write(p);
    }
    partIndex++;
  };

  if (first) await emit(first, whole ? whole.length : null);
  if (streamed && iter && !stop) {
    const errorAfter = fault?.kind === 'error-after-200' ? (fault.afterParts ?? 1) : -1;
    for (;;) {
      if (stop || aborted) break;
      if (errorAfter >= 0 && partIndex >= errorAfter) {
        pendingError = new DvidError(400, `${fault!.errorText ?? 'unable to deserialize label block: block corrupted in storage'} (${path}).\n`);
        break;
      }
      let r: IteratorResult<Uint8Array>;
      try {
        r = iter.next();
      } catch (e) {
        if (!(e instanceof DvidError)) throw e;
        pendingError = e;
        break;
      }
      if (r.done) break;
      await emit(r.value, null);
    }
  } else if (!streamed && fault?.kind === 'error-after-200' && first) {
    pendingError = new DvidError(400, `${fault.errorText ?? 'unable to complete request: storage error'} (${path}).\n`);
  }
  if (pendingError?.body && !stop && !aborted) await write(enc.encode(pendingError.body));

  if (stop === 'truncated' || stop === 'reset') {
    // Truncation closes the connection (the client sees the body end early); a reset destroys it.
    if (stop === 'truncated') await new Promise<void>((r) => req.socket.end(() => r()));
    req.socket.destroy();
    return { status, bytes, outcome: stop };
  }
  if (stop === 'stalled') {
    await new Promise<void>((r) => res.once('close', () => r()));
    return { status, bytes, outcome: 'stalled' };
  }
  if (aborted) return { status, bytes, outcome: 'aborted' };
  await new Promise<void>((r) => res.end(r));
  return { status, bytes, outcome: 'ok' };
}
