/**
 * keyvalue endpoints (DVID-API.md §7): meshes, skeletons, body annotations, ROI meshes, …
 *
 * - Keys are one path segment each, percent-encoded (ROI names such as `a'L(R)`); a key containing `/`
 *   cannot be addressed through DVID's URL scheme and is refused before sending.
 * - `/keyrangevalues` and `/keyvalues` come out record by record in all three forms (protobuf, tar,
 *   JSON), never as one buffer. Protobuf and tar are binary-safe; the JSON form is only valid when every
 *   value is JSON and no key contains `"` or `\` (DVID writes keys unescaped and splices values raw).
 * - `GET /key` is always `application/octet-stream`, whatever the value holds.
 * - Writes carry `u=` and `app=` (http.ts) and are refused on a locked node (DvidLockedError).
 */
import { encodeKeys, encodeKeyValues, type KeyValue } from '../formats/kv-protobuf';
import { TarStreamParser } from '../formats/tar';
import { mapParser, type CallOptions, type DvidHttp } from './http';
import { JsonMemberSplitter } from './json-members';
import { KeyValuesStreamParser } from './kv-stream';
import { arr, str } from './json-read';
import { mutationStream, type MutationRecord } from './labelmap';
import { nodePath, type Uuid } from './paths';
import { readInstanceInfo, type InstanceInfo } from './repo';

/** One key and its value. `value` is null only where DVID cannot say (protobuf `/keyvalues`: missing ≡ empty). */
export interface KvRecord {
  key: string;
  value: Uint8Array | null;
}

export type KvFormat = 'protobuf' | 'tar' | 'json';

/** Bound on one value (meshes of big bodies reach tens of MB). */
const MAX_VALUE_BYTES = 512 << 20;
const MAX_KEYS_BYTES = 512 << 20;

function streamParser(format: KvFormat) {
  switch (format) {
    case 'protobuf':
      return new KeyValuesStreamParser(MAX_VALUE_BYTES);
    case 'tar':
      return mapParser(new TarStreamParser(), (e): KvRecord => ({ key: e.name, value: e.data }));
    case 'json':
      return mapParser(
        new JsonMemberSplitter({ maxMemberBytes: MAX_VALUE_BYTES, format: 'keyvalue-json' }),
        (m): KvRecord => ({ key: m.key ?? '', value: Buffer.from(m.text, 'utf8') }),
      );
  }
}

const EXPECT = { protobuf: 'octet-stream', tar: 'tar', json: 'json' } as const;
const FORMAT_QUERY = { protobuf: {}, tar: { tar: 'true' }, json: { json: 'true' } } as const;

export class KeyValueStore {
  constructor(
    private readonly http: DvidHttp,
    readonly uuid: Uuid,
    readonly name: string,
  ) {}

  private path(keyword: string, ...rest: string[]): string {
    return nodePath(this.uuid, this.name, keyword, ...rest);
  }

  info(opts: CallOptions = {}): Promise<InstanceInfo> {
    return this.http.parsed({ method: 'GET', path: this.path('info'), expect: 'json' }, opts, (raw) => readInstanceInfo(raw));
  }

  /** GET /keys: every key, sorted. Can be large (hundreds of thousands of bodies); prefer `keyRange`. */
  keys(opts: CallOptions = {}): Promise<string[]> {
    return this.http.parsed({ method: 'GET', path: this.path('keys'), expect: 'json' }, { maxBytes: MAX_KEYS_BYTES, ...opts }, readKeys);
  }

  /** GET /keyrange/{first}/{last}: keys with first ≤ key ≤ last (both inclusive, byte order). */
  keyRange(first: string, last: string, opts: CallOptions = {}): Promise<string[]> {
    return this.http.parsed(
      { method: 'GET', path: this.path('keyrange', first, last), expect: 'json' },
      { maxBytes: MAX_KEYS_BYTES, ...opts },
      readKeys,
    );
  }

  /**
   * GET /keyrangevalues/{first}/{last}: every key and value in the range, streamed record by record.
   * `protobuf` (default) and `tar` are binary-safe; `json` gives each value's JSON text as UTF-8 bytes.
   * `check` (json only) makes DVID validate each value as JSON.
   */
  keyRangeValues(
    first: string,
    last: string,
    opts: CallOptions & { format?: KvFormat; check?: boolean } = {},
  ): AsyncGenerator<KvRecord, void, undefined> {
    const format = opts.format ?? 'protobuf';
    return this.http.records(
      {
        method: 'GET',
        path: this.path('keyrangevalues', first, last),
        query: { ...FORMAT_QUERY[format], check: format === 'json' && opts.check ? 'true' : undefined },
        expect: EXPECT[format],
      },
      streamParser(format),
      opts,
    );
  }

  /**
   * GET /keyvalues with the keys in the body, streamed in request order. Protobuf (default): a missing key
   * comes back with value null, which DVID does not tell apart from an empty value (use `has`). tar: a
   * missing key is a 0-byte file. json: a missing or empty value is `{}`.
   */
  getMany(keys: readonly string[], opts: CallOptions & { format?: KvFormat } = {}): AsyncGenerator<KvRecord, void, undefined> {
    const format = opts.format ?? 'protobuf';
    if (keys.length === 0) return (async function* () {})();
    const protobuf = format === 'protobuf';
    return this.http.records(
      {
        method: 'GET',
        path: this.path('keyvalues'),
        query: format === 'tar' ? { jsontar: 'true' } : FORMAT_QUERY[format],
        body: protobuf ? encodeKeys(keys) : JSON.stringify(keys),
        bodyType: protobuf ? 'application/octet-stream' : 'application/json',
        expect: EXPECT[format],
      },
      streamParser(format),
      opts,
    );
  }

  /** GET /key/{key}: the value's bytes. Missing key: DvidNotFoundError. */
  get(key: string, opts: CallOptions = {}): Promise<Uint8Array> {
    return this.http.bytes({ method: 'GET', path: this.path('key', key), expect: 'octet-stream' }, { maxBytes: MAX_VALUE_BYTES, ...opts });
  }

  /** HEAD /key/{key}: whether the key exists (tells a missing key from an empty value). */
  has(key: string, opts: CallOptions = {}): Promise<boolean> {
    return this.http.exists({ method: 'HEAD', path: this.path('key', key) }, opts);
  }

  /** POST /key/{key}: stores the value (replacing). */
  async put(key: string, value: Uint8Array | string, opts: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'POST', path: this.path('key', key), body: value, bodyType: 'application/octet-stream' }, opts);
  }

  /** DELETE /key/{key}: a tombstone in this version. */
  async delete(key: string, opts: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'DELETE', path: this.path('key', key) }, opts);
  }

  /** POST /keyvalues: bulk put (protobuf only; each pair is logged as a `postkv` mutation). */
  async putMany(kvs: readonly KeyValue[], opts: CallOptions = {}): Promise<void> {
    if (kvs.length === 0) return;
    await this.http.send(
      { method: 'POST', path: this.path('keyvalues'), body: encodeKeyValues(kvs), bodyType: 'application/octet-stream' },
      opts,
    );
  }

  /** GET /mutations: `postkv` / `delete` records of this node (needs the server's jsonstore). */
  mutations(opts: CallOptions = {}): AsyncGenerator<MutationRecord, void, undefined> {
    return mutationStream(this.http, this.path('mutations'), opts);
  }
}

function readKeys(raw: unknown): string[] {
  return arr(raw, 'keys').map((x, i) => str(x, `keys[${i}]`));
}
