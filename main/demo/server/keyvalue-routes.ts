/**
 * keyvalue (datatype/keyvalue/keyvalue.go): keys, keyrange, keyrangevalues (protobuf | json |
 * tar), key (GET/HEAD/POST/DELETE, Range and byte_start/byte_end), keyvalues (GET with a protobuf
 * Keys or JSON body; POST protobuf), mutations. JSON keys and values are spliced in unescaped, as
 * DVID does; values are always application/octet-stream on GET /key.
 */
import { decodeKeys, decodeKeyValues, encodeKeyValues } from '../../formats/kv-protobuf';
import { writeTar } from '../../formats/tar';
import { goTimeString } from '../dataset/time';
import type { InstanceRequest, ServerContext } from './context';
import { badApi, badRequest, DvidError, goQuote, noJsonstore, textNotFound } from './errors';
import { goString } from './go-json';
import { instanceInfoJson } from './info';
import type { KeyvalueInstance } from './keyvalue-store';
import { binaryReply, jsonReply, textReply, type Reply } from './reply';

const enc = new TextEncoder();

interface KeyRead {
  key: string;
  start?: number;
  end?: number;
}

function logWrite(ctx: ServerContext, kv: KeyvalueInstance, req: InstanceRequest, key: string, value: Uint8Array | null): void {
  const now = Date.now();
  const ts = goString(goTimeString({ ms: now, ns: 0 }, (now - ctx.startedAt) / 1000));
  kv.runtimeLog[req.v]!.push(
    value === null
      ? `{"Action":"delete","Key":${goString(key)},"Timestamp":${ts},"UUID":"${req.uuid}"}`
      : `{"Action":"postkv","Bytes":${value.length},"Key":${goString(key)},"Timestamp":${ts},"UUID":"${req.uuid}"}`,
  );
}

function slice(req: InstanceRequest, key: string, value: Uint8Array, start?: number, end?: number): Uint8Array {
  if (start === undefined && end === undefined) return value;
  const s = start ?? 0;
  const e = end ?? value.length - 1;
  if (s > e || s >= value.length) throw badRequest(req.path, `byte range ${s}-${e} is outside the ${value.length} bytes of key ${goQuote(key)}`);
  return value.subarray(s, Math.min(e + 1, value.length));
}

function keyReads(req: InstanceRequest): KeyRead[] {
  let raw: unknown;
  try {
    raw = JSON.parse(req.body.toString('utf8'));
  } catch (e) {
    throw badRequest(req.path, `GET /keyvalues on 0 keys, data ${goQuote(req.instance.name)}: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw)) throw badRequest(req.path, `GET /keyvalues on 0 keys, data ${goQuote(req.instance.name)}: expected a JSON array of keys`);
  return raw.map((x) => {
    if (typeof x === 'string') return { key: x };
    const o = (x ?? {}) as Record<string, unknown>;
    return { key: String(o.key ?? ''), start: typeof o.byte_start === 'number' ? o.byte_start : undefined, end: typeof o.byte_end === 'number' ? o.byte_end : undefined };
  });
}

function* jsonObjectStream(pairs: Iterable<[string, Uint8Array | undefined]>): Generator<Uint8Array> {
  yield enc.encode('{');
  let first = true;
  for (const [k, v] of pairs) {
    yield enc.encode(`${first ? '' : ','}"${k}":`);
    yield v && v.length > 0 ? v : enc.encode('{}');
    first = false;
  }
  yield enc.encode('}');
}

export function keyvalueRoutes(ctx: ServerContext, req: InstanceRequest): Reply {
  const kv = ctx.keyvalues[req.instance.name]!;
  const m = req.method;
  const v = req.v;
  switch (req.keyword) {
    case 'help':
      return textReply('API for keyvalue data type (github.com/janelia-flyem/dvid/datatype/keyvalue), as served by the DVID Desk demo server.\n');
    case 'info':
      return jsonReply(instanceInfoJson(ctx, req.instance));
    case 'tags':
      return jsonReply('{"Tags":{}}');
    case 'keys':
      return jsonReply(`[${kv.keys(v).map(goString).join(',')}]`);
    case 'keyrange': {
      if (req.parts.length < 6) throw badRequest(req.path, "expect beginning and end keys to follow 'keyrange' endpoint");
      return jsonReply(`[${kv.range(v, req.parts[4]!, req.parts[5]!).map(goString).join(',')}]`);
    }
    case 'keyrangevalues': {
      if (req.parts.length < 6) throw badRequest(req.path, "expect beginning and end keys to follow 'keyrangevalues' endpoint");
      const tar = req.query.get('jsontar') === 'true' || req.query.get('tar') === 'true';
      const json = req.query.get('json') === 'true';
      if (tar && json) throw badRequest(req.path, 'can only specify tar or json output, not both');
      const keys = kv.range(v, req.parts[4]!, req.parts[5]!);
      if (tar) return { status: 200, headers: { 'Content-Type': 'application/tar' }, body: writeTar(keys.map((k) => ({ name: k, data: kv.get(v, k)! }))) };
      if (json) {
        const check = req.query.get('check') === 'true';
        const pairs = function* (): Generator<[string, Uint8Array | undefined]> {
          for (const k of keys) {
            const val = kv.get(v, k);
            if (check && val && val.length > 0) {
              try {
                JSON.parse(new TextDecoder().decode(val));
              } catch {
                throw new DvidError(400, `bad JSON for key ${goQuote(k)} (${req.path}).\n`);
              }
            }
            yield [k, val];
          }
        };
        return { status: 200, headers: { 'Content-Type': 'application/json' }, body: jsonObjectStream(pairs()) };
      }
      return binaryReply(encodeKeyValues(keys.map((k) => ({ key: k, value: kv.get(v, k)! }))));
    }
    case 'keyvalues': {
      if (m === 'GET') {
        const tar = req.query.get('jsontar') === 'true' || req.query.get('tar') === 'true';
        const json = req.query.get('json') === 'true';
        if (tar && json) throw badRequest(req.path, `GET /keyvalues on 0 keys, data ${goQuote(req.instance.name)}: can only specify tar or json output, not both`);
        if (tar || json) {
          const reads = keyReads(req);
          const values = reads.map((r) => {
            const val = kv.get(v, r.key);
            return val ? slice(req, r.key, val, r.start, r.end) : undefined;
          });
          if (tar) {
            const entries = reads.map((r, i) => ({ name: r.key, data: values[i] ?? new Uint8Array(0) }));
            if (entries.some((e) => e.name === '')) throw badRequest(req.path, `GET /keyvalues on ${reads.length} keys, data ${goQuote(req.instance.name)}: empty key`);
            return { status: 200, headers: { 'Content-Type': 'application/tar' }, body: writeTar(entries) };
          }
          return { status: 200, headers: { 'Content-Type': 'application/json' }, body: jsonObjectStream(reads.map((r, i) => [r.key, values[i]] as [string, Uint8Array | undefined])) };
        }
        let keys: string[];
        try {
          keys = decodeKeys(req.body);
        } catch (e) {
          throw badRequest(req.path, `GET /keyvalues on 0 keys, data ${goQuote(req.instance.name)}: ${(e as Error).message}`);
        }
        // A missing key comes back with no value, like an empty one (proto3 omits empty fields).
        return binaryReply(encodeKeyValues(keys.map((k) => ({ key: k, value: kv.get(v, k) ?? null }))));
      }
      if (m === 'POST') {
        let pairs: Array<{ key: string; value: Uint8Array | null }>;
        try {
          pairs = decodeKeyValues(req.body);
        } catch (e) {
          throw badRequest(req.path, (e as Error).message);
        }
        for (const p of pairs) {
          const value = p.value ?? new Uint8Array(0);
          kv.put(v, p.key, value);
          logWrite(ctx, kv, req, p.key, value);
        }
        return { status: 200, headers: {}, body: null };
      }
      throw badRequest(req.path, `key endpoint does not support ${goQuote(m.toLowerCase())} HTTP verb`);
    }
    case 'key': {
      if (req.parts.length < 5) throw badRequest(req.path, "expect key string to follow 'key' endpoint");
      const key = req.parts[4]!;
      switch (m) {
        case 'HEAD':
          return kv.has(v, key) ? { status: 200, headers: { 'Accept-Ranges': 'bytes' }, body: null } : { status: 404, headers: {}, body: null };
        case 'GET': {
          const value = kv.get(v, key);
          if (!value) throw textNotFound(`Key ${goQuote(key)} not found`);
          const range = req.headers.range;
          const qs = req.query.get('byte_start'), qe = req.query.get('byte_end');
          if (typeof range === 'string' && (qs !== null || qe !== null)) throw badRequest(req.path, 'cannot combine Range header with byte_start/byte_end query parameters');
          const headers: Record<string, string> = { 'Content-Type': 'application/octet-stream', 'Accept-Ranges': 'bytes' };
          if (typeof range === 'string') {
            const r = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
            let start = r?.[1] ? Number(r[1]) : NaN, end = r?.[2] ? Number(r[2]) : value.length - 1;
            if (r && !r[1] && r[2]) {
              start = Math.max(0, value.length - Number(r[2]));
              end = value.length - 1;
            }
            if (!r || !(start >= 0) || start >= value.length || end < start) {
              return { status: 416, headers: { 'Content-Range': `bytes */${value.length}`, 'Content-Type': 'text/plain; charset=utf-8' }, body: enc.encode('invalid range\n') };
            }
            end = Math.min(end, value.length - 1);
            return { status: 206, headers: { ...headers, 'Content-Range': `bytes ${start}-${end}/${value.length}` }, body: value.subarray(start, end + 1) };
          }
          const out = qs !== null || qe !== null ? slice(req, key, value, qs !== null ? Number(qs) : undefined, qe !== null ? Number(qe) : undefined) : value;
          return { status: 200, headers, body: out };
        }
        case 'POST': {
          const value = new Uint8Array(req.body);
          kv.put(v, key, value);
          logWrite(ctx, kv, req, key, value);
          return { status: 200, headers: {}, body: null };
        }
        case 'DELETE':
          kv.put(v, key, null);
          logWrite(ctx, kv, req, key, null);
          return { status: 200, headers: {}, body: null };
        default:
          throw badRequest(req.path, `key endpoint does not support ${goQuote(m.toLowerCase())} HTTP verb`);
      }
    }
    case 'mutations': {
      if (m !== 'GET') throw badRequest(req.path, 'only POST action allowed for /mappings endpoint');
      if (!ctx.jsonstore) throw noJsonstore(req.path);
      const records = [...(req.v === 1 ? kv.childLog : []), ...kv.runtimeLog[req.v]!];
      return textReply(`[${records.join(',')}]`, 'text/plain; charset=utf-8');
    }
    default:
      throw badApi(req.path, ctx.host, req.instance.name, 'keyvalue');
  }
}
