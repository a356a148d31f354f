/**
 * The embedded DVID-compatible server: node:http on 127.0.0.1 only, serving one dataset (the
 * cached or freshly generated mini-hemibrain), with a request log and per-route fault injection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { instanceDefs } from '../dataset/instances';
import type { Dataset } from '../dataset/store';
import { AnnotationInstance, noteSource, synapseSource } from './annotation-store';
import { baseContext, forkVersions, type DvidRequest, type ServerContext } from './context';
import { DvidError } from './errors';
import { FaultTable, type FaultRule } from './faults';
import { KeyvalueInstance } from './keyvalue-store';
import { RequestLog } from './request-log';
import { errorReply, writeReply, type Reply } from './reply';
import { route } from './router';

export interface ServeOptions {
  /** 0 (default) = any free port */
  port?: number;
  faults?: readonly FaultRule[];
  /** Seed of the block-stream shuffles (default: the dataset's seed). */
  shuffleSeed?: number;
  /** false: serve as a DVID whose TOML has no `[mutations] jsonstore` (no mutation logs). */
  jsonstore?: boolean;
}

export interface RunningDemoServer {
  url: string;
  port: number;
  log: RequestLog;
  /** Replaces the fault rules (and their counters). */
  setFaults(rules: readonly FaultRule[]): void;
  /** How many requests each current rule has changed. */
  faultCounts(): number[];
  /** DVID's "full write" mode: accept writes on locked nodes (tests change locked data with it). */
  setFullWrite(on: boolean): void;
  /** With (true) or without (false) a `[mutations] jsonstore`, as if the server restarted with that TOML. */
  setJsonstore(on: boolean): void;
  close(): Promise<void>;
}

const MAX_BODY = 1 << 30;

function buildContext(shared: Dataset, seed: number): ServerContext {
  const ds = forkVersions(shared);
  const defs = instanceDefs(ds.rois.map((r) => r.name));
  const base = baseContext(ds, defs);
  const seg = base.labelmaps.segmentation!;
  const bodyOf = (sv: number, v: number): bigint => (sv === 0 ? 0n : seg.bodyOf(sv, v));
  const annotations = {
    synapses: new AnnotationInstance('synapses', synapseSource(ds.synapses), bodyOf),
    bookmark_annotations: new AnnotationInstance('bookmark_annotations', noteSource(ds.notes.bookmark_annotations), bodyOf),
    segmentation_todo: new AnnotationInstance('segmentation_todo', noteSource(ds.notes.segmentation_todo), bodyOf),
  };
  const keyvalues: Record<string, KeyvalueInstance> = {};
  for (const [name, kv] of Object.entries(ds.keyvalues)) keyvalues[name] = new KeyvalueInstance(name, kv.root, kv.child, kv.deleted, kv.log);
  return { ...base, host: '127.0.0.1', seed, startedAt: Date.now(), annotations, keyvalues };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let n = 0;
    req.on('data', (c: Buffer) => {
      n += c.length;
      if (n > MAX_BODY) {
        reject(new DvidError(400, `request body larger than ${MAX_BODY} bytes\n`));
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseRequest(req: IncomingMessage, body: Buffer): DvidRequest {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const rawPath = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    throw new DvidError(400, '400 Bad Request');
  }
  const parts = path.startsWith('/api/') ? path.slice(5).split('/') : [];
  if (parts.length > 0 && parts[parts.length - 1] === '') parts.pop();
  return { method: req.method ?? 'GET', path, parts, query, body, headers: req.headers };
}

export async function serveDataset(ds: Dataset, opts: ServeOptions = {}): Promise<RunningDemoServer> {
  const ctx = buildContext(ds, opts.shuffleSeed ?? ds.params.seed);
  ctx.jsonstore = opts.jsonstore ?? true;
  const log = new RequestLog();
  const faults = new FaultTable();
  faults.set(opts.faults ?? []);
  const sockets = new Set<Socket>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const t0 = performance.now();
    const seq = log.nextSeq();
    let body: Buffer = Buffer.alloc(0);
    let parsed: DvidRequest | null = null;
    let reply: Reply;
    const seen: { instance: string | null; versionId: number | null } = { instance: null, versionId: null };
    const rawUrl = req.url ?? '/';
    let path = rawUrl.split('?')[0]!;
    try {
      body = await readBody(req);
      parsed = parseRequest(req, body);
      path = parsed.path;
    } catch (e) {
      reply = errorReply(e instanceof DvidError ? e : new DvidError(400, `${(e as Error).message}\n`));
    }
    const method = req.method ?? 'GET';
    const fault = faults.take(method, path);
    // A client that leaves while a latency fault holds its answer: no reply is written (writing to the
    // closed socket would never complete), and the exchange is logged as aborted.
    let gone = false;
    res.once('close', () => {
      if (!res.writableFinished) gone = true;
    });
    if (fault?.kind === 'latency') await new Promise((r) => setTimeout(r, fault.latencyMs ?? 500));
    if (parsed) {
      try {
        reply = route(ctx, parsed, seen).reply;
      } catch (e) {
        if (!(e instanceof DvidError)) {
          console.error(`demo server: ${method} ${path}:`, e);
          reply = errorReply(new DvidError(500, `Panic detected on request demo/${seq}:\n${(e as Error).message}\nIP: 127.0.0.1, URL: ${path}\n\n`));
        } else {
          reply = errorReply(e);
        }
      }
    }
    if (method === 'HEAD') reply = { ...reply!, body: null };
    let result;
    try {
      if (gone) result = { status: 0, bytes: 0, outcome: 'aborted' as const };
      else if (reply!.hang) {
        await new Promise<void>((r) => (res.destroyed ? r() : res.once('close', () => r())));
        result = { status: 0, bytes: 0, outcome: 'stalled' as const };
      } else result = await writeReply(req, res, reply!, path, fault && fault.kind !== 'latency' ? fault : null, seq);
    } catch (e) {
      console.error(`demo server: writing ${method} ${path}:`, e);
      req.socket.destroy();
      result = { status: 0, bytes: 0, outcome: 'reset' as const };
    }
    log.add({
      seq,
      method,
      path,
      query: rawUrl.includes('?') ? rawUrl.slice(rawUrl.indexOf('?') + 1) : '',
      requestBytes: body.length,
      status: result.status,
      bytes: result.bytes,
      ms: Math.round((performance.now() - t0) * 10) / 10,
      fault: fault?.kind ?? null,
      outcome: result.outcome,
      instance: seen.instance,
      versionId: seen.versionId,
    });
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e) => {
      console.error('demo server:', e);
      res.destroy();
    });
  });
  // Go's http.Server keeps idle connections open; Node's 5 s default races clients that reuse a
  // connection just as it closes (ECONNRESET). Let clients close idle connections instead.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  ctx.host = `127.0.0.1:${port}`;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    setFaults: (rules) => faults.set(rules),
    faultCounts: () => faults.counts(),
    setFullWrite: (on) => {
      ctx.fullWrite = on;
    },
    setJsonstore: (on) => {
      ctx.jsonstore = on;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
