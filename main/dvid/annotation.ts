/**
 * annotation endpoints (DVID-API.md §6): synapses, bookmarks and to-dos.
 *
 * - `/elements` and `/roi` answer `null` when empty; formats/annotation.ts reads that as [].
 * - `/blocks` and `/all-elements` stream `{"bx,by,bz": [Element…], …}`; they come out block by block
 *   (never the whole instance in memory). Their elements are not clipped to the box asked for.
 * - Writes (`POST /elements`, `DELETE /element`) carry `u=` and `app=` (added by http.ts) and are
 *   refused on a locked node (DvidLockedError). DVID does not create reciprocal relationships: callers
 *   post both sides of a synapse.
 */
import { parseElements, serializeElements, type AnnotationElement } from '../formats/annotation';
import { mapParser, type CallOptions, type DvidHttp } from './http';
import { JsonMemberByteSplitter, JsonMemberSplitter, type JsonMember } from './json-members';
import { ShapeError } from './json-read';
import type { Point } from './labelmap';
import { coordString, nodePath, u64String, type Uuid } from './paths';
import { readInstanceInfo, type InstanceInfo } from './repo';

export interface AnnotationBlock {
  /** Block coordinate in the annotation block size (64, or the synced labelmap's). */
  block: [number, number, number];
  elements: AnnotationElement[];
}

/** One block of a `/blocks` stream, framed but not parsed: `json` is its element array as UTF-8 JSON. */
export interface AnnotationBlockJson {
  block: [number, number, number];
  json: Uint8Array;
}

/** Bound on one block's JSON (a dense 64³ synapse block is a few hundred KB). */
const MAX_BLOCK_JSON = 64 << 20;
/** Element lists read whole (`/label`, `/elements`, `/roi`, `/tag`). */
const MAX_ELEMENTS_BYTES = 512 << 20;

function blockOfKey(m: { key: string | null }): [number, number, number] {
  const key = m.key ?? '';
  const parts = key.split(',');
  const block = parts.map(Number);
  if (parts.length !== 3 || !block.every(Number.isSafeInteger)) throw new ShapeError(`block key "${key}" is not "bx,by,bz"`);
  return block as [number, number, number];
}

function readBlockMember(m: JsonMember): AnnotationBlock {
  return { block: blockOfKey(m), elements: parseElements(m.text) };
}

export class Annotation {
  constructor(
    private readonly http: DvidHttp,
    readonly uuid: Uuid,
    readonly name: string,
  ) {}

  private path(keyword: string, ...rest: Array<string | number | bigint>): string {
    return nodePath(this.uuid, this.name, keyword, ...rest);
  }

  private elementList(path: string, query: Record<string, string | undefined>, opts: CallOptions): Promise<AnnotationElement[]> {
    return this.http.decoded({ method: 'GET', path, query, expect: 'json' }, { maxBytes: MAX_ELEMENTS_BYTES, ...opts }, (bytes) =>
      parseElements(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')),
    );
  }

  info(opts: CallOptions = {}): Promise<InstanceInfo> {
    return this.http.parsed({ method: 'GET', path: this.path('info'), expect: 'json' }, opts, (raw) => readInstanceInfo(raw));
  }

  /**
   * GET /label/{body}: the body's elements. Without `relationships` DVID omits Rels (they read as []).
   * Eventually consistent after merges and splits (DVID updates the label index asynchronously).
   */
  label(body: bigint, opts: CallOptions & { relationships?: boolean | 'verbose' } = {}): Promise<AnnotationElement[]> {
    const rel = opts.relationships === 'verbose' ? 'verbose' : opts.relationships ? 'true' : undefined;
    return this.elementList(this.path('label', u64String(body)), { relationships: rel }, opts);
  }

  /** GET /tag/{tag} */
  tag(tag: string, opts: CallOptions & { relationships?: boolean } = {}): Promise<AnnotationElement[]> {
    return this.elementList(this.path('tag', tag), { relationships: opts.relationships ? 'true' : undefined }, opts);
  }

  /** GET /elements/{size}/{offset}: elements (with Rels) exactly inside the voxel box. */
  elements(size: Point, offset: Point, opts: CallOptions = {}): Promise<AnnotationElement[]> {
    return this.elementList(this.path('elements', coordString(size), coordString(offset)), {}, opts);
  }

  /**
   * GET /roi/{roi}[,{uuid}]: elements of every block of an ROI. DVID answers 400 when the ROI's block
   * size differs from the annotation's (hemibrain: 32 vs 64); filter `blocks()` by ROI spans instead.
   */
  roi(roiName: string, opts: CallOptions & { roiUuid?: Uuid } = {}): Promise<AnnotationElement[]> {
    const ref = opts.roiUuid ? `${roiName},${opts.roiUuid}` : roiName;
    return this.elementList(this.path('roi', ref), {}, opts);
  }

  /** GET /blocks/{size}/{offset}: every element of every block intersecting the box, block by block. */
  blocks(size: Point, offset: Point, opts: CallOptions = {}): AsyncGenerator<AnnotationBlock, void, undefined> {
    return this.blockStream(this.path('blocks', coordString(size), coordString(offset)), opts);
  }

  /**
   * GET /blocks/{size}/{offset} framed block by block but not parsed (nor UTF-8-decoded): for callers
   * that parse the element arrays on another thread (the sync, in the worker pool). Keys are checked here.
   */
  blockJson(size: Point, offset: Point, opts: CallOptions = {}): AsyncGenerator<AnnotationBlockJson, void, undefined> {
    const parser = mapParser(new JsonMemberByteSplitter({ maxMemberBytes: MAX_BLOCK_JSON, format: 'annotation-blocks' }), (m): AnnotationBlockJson => ({ block: blockOfKey(m), json: m.bytes }));
    return this.http.records({ method: 'GET', path: this.path('blocks', coordString(size), coordString(offset)), expect: 'json' }, parser, opts);
  }

  /** GET /all-elements: the whole instance, block by block (large for synapses). */
  allElements(opts: CallOptions = {}): AsyncGenerator<AnnotationBlock, void, undefined> {
    return this.blockStream(this.path('all-elements'), opts);
  }

  private blockStream(path: string, opts: CallOptions): AsyncGenerator<AnnotationBlock, void, undefined> {
    const parser = mapParser(new JsonMemberSplitter({ maxMemberBytes: MAX_BLOCK_JSON, format: 'annotation-blocks' }), readBlockMember);
    return this.http.records({ method: 'GET', path, expect: 'json' }, parser, opts);
  }

  /** POST /elements: adds elements, replacing any at the same Pos (all fields). */
  async postElements(elements: readonly AnnotationElement[], opts: CallOptions & { kafkalog?: boolean } = {}): Promise<void> {
    await this.http.send(
      {
        method: 'POST',
        path: this.path('elements'),
        query: { kafkalog: opts.kafkalog === false ? 'off' : undefined },
        body: serializeElements(elements),
        bodyType: 'application/json',
      },
      opts,
    );
  }

  /** DELETE /element/{x_y_z}. An element that is not there: DvidNotFoundError ("Did not find element"). */
  async deleteElement(pos: Point, opts: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'DELETE', path: this.path('element', coordString(pos)) }, opts);
  }

  /** POST /move/{from}/{to}: moves an element (and rewrites its partners' relationships). */
  async moveElement(from: Point, to: Point, opts: CallOptions = {}): Promise<void> {
    await this.http.send({ method: 'POST', path: this.path('move', coordString(from), coordString(to)) }, opts);
  }
}
