/**
 * roi endpoints (DVID-API.md §8). An ROI is a set of blocks (default 32³) given as spans
 * `[z, y, x0, x1]` with x1 inclusive, sorted by z, y, x0; formats/roi-spans.ts reads them.
 * Hemibrain ROI instance names carry parentheses and quotes (`AB(L)`, `a'L(R)`): paths.ts encodes them.
 */
import { parseRoiSpans, type RoiSpan } from '../formats/roi-spans';
import type { CallOptions, DvidHttp } from './http';
import { arr, bool } from './json-read';
import type { Point } from './labelmap';
import { coordString, nodePath, type Uuid } from './paths';
import { readInstanceInfo, type InstanceInfo } from './repo';

export class Roi {
  constructor(
    private readonly http: DvidHttp,
    readonly uuid: Uuid,
    readonly name: string,
  ) {}

  info(opts: CallOptions = {}): Promise<InstanceInfo> {
    return this.http.parsed({ method: 'GET', path: nodePath(this.uuid, this.name, 'info'), expect: 'json' }, opts, (raw) => readInstanceInfo(raw));
  }

  /** GET /roi: the ROI's spans (block coordinates); [] for an empty ROI. */
  spans(opts: CallOptions = {}): Promise<RoiSpan[]> {
    return this.http.decoded(
      { method: 'GET', path: nodePath(this.uuid, this.name, 'roi'), expect: 'json' },
      { maxBytes: 256 << 20, ...opts },
      (bytes) => parseRoiSpans(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8')),
    );
  }

  /**
   * POST /ptquery with `[[x,y,z],…]` (voxels): whether each point is inside. A read sent as POST: it
   * changes nothing and works on locked nodes, so it may be retried.
   */
  async contains(points: readonly Point[], opts: CallOptions = {}): Promise<boolean[]> {
    if (points.length === 0) return [];
    for (const p of points) coordString(p);
    return this.http.parsed(
      {
        method: 'POST',
        path: nodePath(this.uuid, this.name, 'ptquery'),
        body: JSON.stringify(points),
        bodyType: 'application/json',
        idempotent: true,
      },
      opts,
      (raw) => arr(raw, 'ptquery').map((x, i) => bool(x, `ptquery[${i}]`)),
    );
  }
}
