/**
 * labelsz endpoints (DVID-API.md §9): per-label element counts and rankings.
 *
 * - `/top` and `/threshold` key counts as `"Size"`; `/count` and `/counts` by the index name
 *   (formats/labelsz.ts reads both).
 * - `/threshold` pages with a **0-based** `offset` (the second page of 10,000 starts at 10000, not the
 *   help text's 10001); `thresholdAll` walks the pages.
 * - `/counts` takes its labels as a JSON body on a GET.
 * - While the server recomputes (`POST /reload`), reads answer 400 "stats not available": a
 *   DvidBadRequestError.
 */
import { parseLabelszCounts, parseLabelszRanking, type LabelCount } from '../formats/labelsz';
import type { CallOptions, DvidHttp } from './http';
import { int, obj, u64 } from './json-read';
import { u64JsonBody } from './labelmap';
import { DvidArgumentError, nodePath, u64String, type Uuid } from './paths';
import { readInstanceInfo, type InstanceInfo } from './repo';

export const LABELSZ_INDEXES = ['PostSyn', 'PreSyn', 'Gap', 'Note', 'AllSyn', 'Voxels'] as const;
export type LabelszIndex = (typeof LABELSZ_INDEXES)[number];

/** DVID's default page size for `/threshold`. */
export const THRESHOLD_PAGE = 10_000;

function checkIndex(index: string): LabelszIndex {
  if (!(LABELSZ_INDEXES as readonly string[]).includes(index)) throw new DvidArgumentError(`"${index}" is not a labelsz index (${LABELSZ_INDEXES.join(', ')})`);
  return index as LabelszIndex;
}

function nonNegInt(n: number, what: string): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new DvidArgumentError(`${what} ${n} is not a non-negative integer`);
  return n;
}

const utf8 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8');

export class Labelsz {
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

  /** GET /count/{label}/{index}: 0 for an unknown label. */
  count(label: bigint, index: LabelszIndex, opts: CallOptions = {}): Promise<number> {
    const idx = checkIndex(index);
    return this.http.parsed({ method: 'GET', path: this.path('count', u64String(label), idx), expect: 'json' }, opts, (raw) => {
      const o = obj(raw, 'count');
      u64(o.Label, 'Label');
      return int(o[idx], idx);
    });
  }

  /** GET /counts/{index} with `[label,…]` in the body. */
  async counts(labels: readonly bigint[], index: LabelszIndex, opts: CallOptions = {}): Promise<LabelCount[]> {
    const idx = checkIndex(index);
    if (labels.length === 0) return [];
    return this.http.decoded(
      { method: 'GET', path: this.path('counts', idx), body: u64JsonBody(labels), bodyType: 'application/json', expect: 'json' },
      opts,
      (bytes) => parseLabelszCounts(utf8(bytes), idx),
    );
  }

  /** GET /top/{n}/{index}: the n largest, largest first (ties by label ascending). */
  top(n: number, index: LabelszIndex, opts: CallOptions = {}): Promise<LabelCount[]> {
    const idx = checkIndex(index);
    return this.http.decoded({ method: 'GET', path: this.path('top', nonNegInt(n, 'n'), idx), expect: 'json' }, opts, (bytes) =>
      parseLabelszRanking(utf8(bytes)),
    );
  }

  /** GET /threshold/{t}/{index}?offset=&n=: labels with count ≥ t, descending; `offset` is a 0-based rank. */
  threshold(t: number, index: LabelszIndex, opts: CallOptions & { offset?: number; n?: number } = {}): Promise<LabelCount[]> {
    const idx = checkIndex(index);
    return this.http.decoded(
      {
        method: 'GET',
        path: this.path('threshold', nonNegInt(t, 'threshold'), idx),
        query: {
          offset: opts.offset === undefined ? undefined : nonNegInt(opts.offset, 'offset'),
          n: opts.n === undefined ? undefined : nonNegInt(opts.n, 'n'),
        },
        expect: 'json',
      },
      opts,
      (bytes) => parseLabelszRanking(utf8(bytes)),
    );
  }

  /** Every label with count ≥ t, page by page (0-based offsets), until a short page. */
  async *thresholdAll(t: number, index: LabelszIndex, opts: CallOptions & { pageSize?: number } = {}): AsyncGenerator<LabelCount[], void, undefined> {
    const n = nonNegInt(opts.pageSize ?? THRESHOLD_PAGE, 'pageSize');
    if (n === 0) throw new DvidArgumentError('pageSize must be at least 1');
    for (let offset = 0; ; offset += n) {
      const page = await this.threshold(t, index, { ...opts, offset, n });
      if (page.length) yield page;
      if (page.length < n) return;
    }
  }
}
