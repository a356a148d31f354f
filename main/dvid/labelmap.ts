/**
 * labelmap endpoints (DVID-API.md §4): point and label queries, the sv→body mapping, per-body facts,
 * mutation logs, and the block streams.
 *
 * - `/labels`, `/mapping` and `/sizes` take their arguments as a JSON body on a GET (§1.4).
 * - Block requests always name their `compression` (the defaults differ between `/blocks` and
 *   `/specificblocks`, and the `/blocks` help text contradicts its code: §4.2, §15.1).
 * - Endpoints that answer 404 with an empty body for an unknown label (`/supervoxels`, `/size`,
 *   `/lastmod`, `/sparsevol-coarse`, …) throw DvidNotFoundError.
 */
import { BlockStreamParser, type BlockCompression, type BlockRecord } from '../formats/block-stream';
import { parseJsonLossless, parseU64Array, stringifyU64Array } from '../formats/json-u64';
import { decodeSparsevol, type SparsevolRun } from '../formats/sparsevol';
import { mapParser, type CallOptions, type DvidHttp } from './http';
import { JsonMemberSplitter } from './json-members';
import { arr, int, obj, ShapeError, str, strOrEmpty, u64, u64Array, vec3 } from './json-read';
import { BinaryMappingsParser, TextMappingsParser, type MappingBatch } from './mappings-stream';
import { coordString, DvidArgumentError, nodePath, u64String, type QueryParams, type Uuid } from './paths';
import { readInstanceInfo, type InstanceInfo } from './repo';

export type Point = readonly [x: number, y: number, z: number];
export type BlockCoord = readonly [bx: number, by: number, bz: number];

export interface LabelOptions extends CallOptions {
  /** Raw supervoxel ids instead of the mapped body ids. */
  supervoxels?: boolean;
  /** Pyramid level 0..MaxDownresLevel. */
  scale?: number;
}

export interface BlockRequestOptions extends CallOptions {
  /** Required: what the payloads are (`blocks` = gzipped DVID label Blocks, the app's default). */
  compression: BlockCompression;
  supervoxels?: boolean;
  scale?: number;
  /** Ask DVID to refuse (503) rather than queue when it is at its throttle limit; retried with backoff. */
  throttle?: boolean;
  /** Bound on one record's payload (default from the instance block size, or 32 MiB). */
  maxPayloadBytes?: number;
  /** Block size, to derive the payload bound. */
  blockSize?: readonly [number, number, number];
}

export interface SparsevolSize {
  voxels: number;
  numBlocks: number;
  /** Block-aligned bounds, not voxel-exact. */
  minVoxel: [number, number, number];
  maxVoxel: [number, number, number];
}

export interface LastMod {
  mutationId: bigint;
  user: string;
  app: string;
  /** RFC 3339 */
  time: string;
}

/** One record of a labelmap (or keyvalue) mutation log: the Kafka "-complete" message (§3). */
export interface MutationRecord {
  action: string;
  uuid: string;
  mutationId: bigint | null;
  /** Go time.String(): strip " m=…" before parsing; order by mutationId, not time. */
  timestamp: string;
  user: string;
  app: string;
  /** Every field as sent (ids above 2^53 as bigint). */
  fields: Record<string, unknown>;
}

const JSON_BODY = 'application/json';
const utf8 = (b: Uint8Array): string => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

function labelQuery(o: { supervoxels?: boolean; scale?: number }): QueryParams {
  if (o.scale !== undefined && (!Number.isInteger(o.scale) || o.scale < 0)) throw new DvidArgumentError(`scale ${o.scale} is not a level`);
  return { supervoxels: o.supervoxels ? 'true' : undefined, scale: o.scale };
}

/** Reads one mutation-log member (also used for keyvalue logs). */
export function readMutationRecord(text: string): MutationRecord {
  const o = obj(parseJsonLossless(text), 'mutation');
  const mut = o.MutationID;
  return {
    action: str(o.Action, 'Action'),
    uuid: strOrEmpty(o.UUID, 'UUID'),
    mutationId: mut === undefined || mut === null ? null : u64(mut, 'MutationID'),
    timestamp: strOrEmpty(o.Timestamp, 'Timestamp'),
    user: strOrEmpty(o.User, 'User'),
    app: strOrEmpty(o.App, 'App'),
    fields: o,
  };
}

/** A streamed JSON array of mutation records, record by record. */
export function mutationStream(http: DvidHttp, path: string, opts: CallOptions): AsyncGenerator<MutationRecord, void, undefined> {
  const parser = mapParser(new JsonMemberSplitter({ maxMemberBytes: 64 << 20, format: 'mutations' }), (m) => readMutationRecord(m.text));
  return http.records({ method: 'GET', path }, parser, opts);
}

export class Labelmap {
  constructor(
    private readonly http: DvidHttp,
    readonly uuid: Uuid,
    readonly name: string,
  ) {}

  private path(keyword: string, ...rest: Array<string | number | bigint>): string {
    return nodePath(this.uuid, this.name, keyword, ...rest);
  }

  info(opts: CallOptions = {}): Promise<InstanceInfo> {
    return this.http.parsed({ method: 'GET', path: this.path('info'), expect: 'json' }, opts, (raw) => readInstanceInfo(raw));
  }

  /** GET /label/{x_y_z}: the label at one voxel (0 = background or no data). */
  label(p: Point, opts: LabelOptions = {}): Promise<bigint> {
    return this.http.parsed({ method: 'GET', path: this.path('label', coordString(p)), query: labelQuery(opts), expect: 'json' }, opts, (raw) =>
      u64(obj(raw, 'label').Label, 'Label'),
    );
  }

  /** GET /labels with `[[x,y,z],…]` in the body: labels in the same order. */
  async labels(points: readonly Point[], opts: LabelOptions = {}): Promise<bigint[]> {
    if (points.length === 0) return [];
    for (const p of points) coordString(p); // integers only
    return this.http.decoded(
      { method: 'GET', path: this.path('labels'), query: labelQuery(opts), body: JSON.stringify(points), bodyType: JSON_BODY, expect: 'json' },
      opts,
      (bytes) => sameCount(parseU64Array(utf8(bytes)), points.length),
    );
  }

  /** GET /mapping with `[sv,…]` in the body: the body of each supervoxel, 0 when it does not exist (or was split away). */
  async mapping(supervoxels: readonly bigint[], opts: CallOptions & { nolookup?: boolean } = {}): Promise<bigint[]> {
    if (supervoxels.length === 0) return [];
    return this.http.decoded(
      {
        method: 'GET',
        path: this.path('mapping'),
        query: { nolookup: opts.nolookup ? 'true' : undefined },
        body: u64JsonBody(supervoxels),
        bodyType: JSON_BODY,
        expect: 'json',
      },
      opts,
      (bytes) => sameCount(parseU64Array(utf8(bytes)), supervoxels.length),
    );
  }

  /**
   * GET /mappings: every non-identity sv→body pair of this node, streamed in batches. Absent
   * supervoxels map to themselves; body 0 = retired by a split. Binary is ~3× smaller than text.
   * Hemibrain-sized: tens of millions of pairs.
   */
  mappings(opts: CallOptions & { format?: 'binary' | 'text' } = {}): AsyncGenerator<MappingBatch, void, undefined> {
    const binary = (opts.format ?? 'binary') === 'binary';
    return this.http.records(
      { method: 'GET', path: this.path('mappings'), query: { format: binary ? 'binary' : undefined } },
      binary ? new BinaryMappingsParser() : new TextMappingsParser(),
      opts,
    );
  }

  /** GET /supervoxels/{body}: the body's supervoxels (any order). Unknown body: DvidNotFoundError. */
  supervoxels(body: bigint, opts: CallOptions = {}): Promise<bigint[]> {
    return this.http.decoded({ method: 'GET', path: this.path('supervoxels', u64String(body)), expect: 'json' }, opts, (bytes) =>
      parseU64Array(utf8(bytes)),
    );
  }

  /** GET /supervoxel-sizes/{body}: parallel arrays. */
  supervoxelSizes(body: bigint, opts: CallOptions = {}): Promise<{ supervoxels: bigint[]; sizes: number[] }> {
    return this.http.parsed({ method: 'GET', path: this.path('supervoxel-sizes', u64String(body)), expect: 'json' }, opts, (raw) => {
      const o = obj(raw, 'supervoxel-sizes');
      const supervoxels = u64Array(o.supervoxels, 'supervoxels');
      const sizes = arr(o.sizes, 'sizes').map((x, i) => int(x, `sizes[${i}]`));
      if (sizes.length !== supervoxels.length) throw new ShapeError('supervoxels and sizes differ in length');
      return { supervoxels, sizes };
    });
  }

  /** GET /size/{label}: voxel count. Unknown label: DvidNotFoundError. */
  size(label: bigint, opts: CallOptions & { supervoxels?: boolean } = {}): Promise<number> {
    return this.http.parsed(
      { method: 'GET', path: this.path('size', u64String(label)), query: labelQuery(opts), expect: 'json' },
      opts,
      (raw) => int(obj(raw, 'size').voxels, 'voxels'),
    );
  }

  /** GET /sizes with `[label,…]` in the body: voxel counts, 0 for unknown labels. */
  async sizes(labels: readonly bigint[], opts: CallOptions & { supervoxels?: boolean } = {}): Promise<number[]> {
    if (labels.length === 0) return [];
    return this.http.parsed(
      { method: 'GET', path: this.path('sizes'), query: labelQuery(opts), body: u64JsonBody(labels), bodyType: JSON_BODY, expect: 'json' },
      opts,
      (raw) => sameCount(arr(raw, 'sizes').map((x, i) => int(x, `sizes[${i}]`)), labels.length),
    );
  }

  /** GET /sparsevol-size/{label}. */
  sparsevolSize(label: bigint, opts: CallOptions & { supervoxels?: boolean } = {}): Promise<SparsevolSize> {
    return this.http.parsed(
      { method: 'GET', path: this.path('sparsevol-size', u64String(label)), query: labelQuery(opts), expect: 'json' },
      opts,
      (raw) => {
        const o = obj(raw, 'sparsevol-size');
        return {
          voxels: int(o.voxels, 'voxels'),
          numBlocks: int(o.numblocks, 'numblocks'),
          minVoxel: vec3(o.minvoxel, 'minvoxel'),
          maxVoxel: vec3(o.maxvoxel, 'maxvoxel'),
        };
      },
    );
  }

  /**
   * GET /sparsevol-coarse/{label}: the blocks the label touches, as runs along x in block units
   * (scale 0 block grid). The cheapest way to list a body's or supervoxel's blocks.
   */
  sparsevolCoarse(label: bigint, opts: CallOptions & { supervoxels?: boolean } = {}): Promise<SparsevolRun[]> {
    return this.http.decoded(
      { method: 'GET', path: this.path('sparsevol-coarse', u64String(label)), query: labelQuery(opts), expect: 'octet-stream' },
      { maxBytes: 256 << 20, ...opts },
      decodeSparsevol,
    );
  }

  /** HEAD /sparsevol/{label}: true when any voxel of the label exists (DVID answers 200 / 204). */
  hasSparsevol(label: bigint, opts: CallOptions & { supervoxels?: boolean } = {}): Promise<boolean> {
    return this.http.exists({ method: 'HEAD', path: this.path('sparsevol', u64String(label)), query: labelQuery(opts) }, opts, [200], [204, 404]);
  }

  /** GET /lastmod/{body}: the body's last mutation. Unknown body: DvidNotFoundError. */
  lastmod(body: bigint, opts: CallOptions = {}): Promise<LastMod> {
    return this.http.parsed({ method: 'GET', path: this.path('lastmod', u64String(body)), expect: 'json' }, opts, (raw) => {
      const o = obj(raw, 'lastmod');
      return {
        mutationId: u64(o['mutation id'], 'mutation id'),
        user: strOrEmpty(o['last mod user'], 'last mod user'),
        app: strOrEmpty(o['last mod app'], 'last mod app'),
        time: strOrEmpty(o['last mod time'], 'last mod time'),
      };
    });
  }

  /** GET /maxlabel: the largest label in this node and its ancestors. */
  maxLabel(opts: CallOptions = {}): Promise<bigint> {
    return this.http.parsed({ method: 'GET', path: this.path('maxlabel'), expect: 'json' }, opts, (raw) => u64(obj(raw, 'maxlabel').maxlabel, 'maxlabel'));
  }

  /** GET /nextlabel */
  nextLabel(opts: CallOptions = {}): Promise<bigint> {
    return this.http.parsed({ method: 'GET', path: this.path('nextlabel'), expect: 'json' }, opts, (raw) =>
      u64(obj(raw, 'nextlabel').nextlabel, 'nextlabel'),
    );
  }

  /**
   * POST /merge `[target, merged…]` (proofreading; the open node only). `user`/`app` become the
   * mutation's User/App (`u=`, `app=`). Returns the MutationID.
   */
  merge(target: bigint, merged: readonly bigint[], opts: CallOptions & { user?: string; app?: string } = {}): Promise<bigint> {
    return this.http.parsed(
      { method: 'POST', path: this.path('merge'), query: { u: opts.user, app: opts.app }, body: u64JsonBody([target, ...merged]), bodyType: JSON_BODY, expect: 'json' },
      opts,
      (raw) => u64(obj(raw, 'merge').MutationID, 'MutationID'),
    );
  }

  /** POST /cleave/{body} `[supervoxel…]`: the supervoxels become a new body. Returns it and the MutationID. */
  cleave(body: bigint, supervoxels: readonly bigint[], opts: CallOptions & { user?: string; app?: string } = {}): Promise<{ cleavedLabel: bigint; mutationId: bigint }> {
    return this.http.parsed(
      { method: 'POST', path: this.path('cleave', u64String(body)), query: { u: opts.user, app: opts.app }, body: u64JsonBody(supervoxels), bodyType: JSON_BODY, expect: 'json' },
      opts,
      (raw) => {
        const o = obj(raw, 'cleave');
        return { cleavedLabel: u64(o.CleavedLabel, 'CleavedLabel'), mutationId: u64(o.MutationID, 'MutationID') };
      },
    );
  }

  /**
   * GET /mutations: the completed mutations recorded in this node only (not its ancestors), streamed.
   * Needs the server's `[mutations] jsonstore`, else a 400 (DvidBadRequestError).
   */
  mutations(opts: CallOptions = {}): AsyncGenerator<MutationRecord, void, undefined> {
    return mutationStream(this.http, this.path('mutations'), opts);
  }

  /**
   * GET /mutations-range/{beg}/{end}: the logs of the path from `end` back to `beg`, newest version
   * first. Without a jsonstore DVID never answers: keep the headers timeout (set by default).
   */
  mutationsRange(begin: Uuid, end: Uuid, opts: CallOptions = {}): AsyncGenerator<MutationRecord, void, undefined> {
    return mutationStream(this.http, this.path('mutations-range', begin, end), opts);
  }

  /**
   * GET /blocks/{size}/{offset}: every stored block of a block-aligned subvolume, in arbitrary order
   * (use each record's coordinates). Missing blocks are simply absent.
   */
  blocks(size: Point, offset: Point, opts: BlockRequestOptions): AsyncGenerator<BlockRecord, void, undefined> {
    return this.blockStream(this.path('blocks', coordString(size), coordString(offset)), {}, opts);
  }

  /** GET /specificblocks?blocks=x,y,z,…: the listed blocks (block coordinates) that exist. */
  specificBlocks(blocks: readonly BlockCoord[], opts: BlockRequestOptions): AsyncGenerator<BlockRecord, void, undefined> {
    if (blocks.length === 0) return (async function* () {})();
    const list = blocks.map((b) => coordString(b).replaceAll('_', ',')).join(',');
    return this.blockStream(this.path('specificblocks'), { blocks: list }, opts);
  }

  private blockStream(path: string, extra: QueryParams, opts: BlockRequestOptions): AsyncGenerator<BlockRecord, void, undefined> {
    const compression = opts.compression;
    if (!['blocks', 'lz4', 'gzip', 'uncompressed'].includes(compression)) throw new DvidArgumentError(`compression "${String(compression)}" is not one DVID knows`);
    const query: QueryParams = {
      ...extra,
      ...labelQuery(opts),
      compression,
      throttle: opts.throttle ? 'true' : undefined,
    };
    const maxPayloadBytes = opts.maxPayloadBytes ?? payloadBound(opts.blockSize);
    return this.http.records(
      { method: 'GET', path, query, expect: 'octet-stream' },
      new BlockStreamParser({ maxPayloadBytes }),
      opts,
    );
  }
}

/**
 * The largest payload a block can have: its uncompressed uint64 volume, or its DVID Block form when that
 * is larger (one label per voxel: 13 bytes a voxel), gzip's few bytes of overhead included.
 */
export function payloadBound(blockSize: readonly [number, number, number] | undefined): number {
  if (!blockSize) return 32 << 20;
  const voxels = blockSize[0] * blockSize[1] * blockSize[2];
  return voxels * 14 + 64 * 1024;
}

function sameCount<T>(values: T[], want: number): T[] {
  if (values.length !== want) throw new ShapeError(`asked for ${want} values, the answer has ${values.length}`);
  return values;
}

/** `[id,…]` for a GET body, every id range-checked as uint64. */
export function u64JsonBody(ids: readonly bigint[]): string {
  for (const id of ids) u64String(id);
  return stringifyU64Array(ids);
}
