/**
 * The neuron search as the Neurons view holds it (a form), as the URL carries it (so a search is a
 * link: the ROI matrix opens one, Back returns to the last), and as the API takes it (NeuronQuery).
 *
 * URL keys: q (text), st (status, repeated; '' = no status), pre / post (minimum counts), in / out
 * (ROI, repeated), inm / outm (all = every ROI, else any), inmin / outmin (per-ROI minimum), col
 * (extra ROI column, repeated), sort (key), dir (asc | desc).
 */
import type { NeuronQuery, NeuronSortKey, RoiFilter } from '../../../preload/api';

export interface RoiFilterForm {
  rois: string[];
  mode: 'any' | 'all';
  min: number;
}

export interface NeuronForm {
  text: string;
  statuses: string[];
  minPre: number;
  minPost: number;
  input: RoiFilterForm;
  output: RoiFilterForm;
  /** ROI columns besides the filter ROIs */
  columns: string[];
  sort: { key: NeuronSortKey; dir: 'asc' | 'desc' } | null;
}

export type RouteQuery = Record<string, string | null | Array<string | null> | undefined>;

export function emptyForm(): NeuronForm {
  return {
    text: '',
    statuses: [],
    minPre: 0,
    minPost: 0,
    input: { rois: [], mode: 'any', min: 1 },
    output: { rois: [], mode: 'any', min: 1 },
    columns: [],
    sort: null,
  };
}

function list(v: RouteQuery[string]): string[] {
  if (v === undefined || v === null) return [];
  return (Array.isArray(v) ? v : [v]).map((x) => x ?? '');
}

function one(v: RouteQuery[string]): string {
  return list(v)[0] ?? '';
}

function count(v: RouteQuery[string], fallback: number): number {
  const n = Number(one(v));
  return one(v) !== '' && Number.isInteger(n) && n >= 0 && n <= 2 ** 31 ? n : fallback;
}

const SORT_KEYS = new Set(['rank', 'bodyId', 'type', 'instance', 'status', 'pre', 'post']);

function sortKey(v: string): NeuronSortKey | null {
  if (SORT_KEYS.has(v)) return v as NeuronSortKey;
  if (/^roi:.+:(pre|post)$/.test(v)) return v as NeuronSortKey;
  return null;
}

const unique = (xs: string[]): string[] => [...new Set(xs)];

export function formFromRoute(q: RouteQuery): NeuronForm {
  const key = sortKey(one(q.sort));
  return {
    text: one(q.q),
    statuses: unique(list(q.st)),
    minPre: count(q.pre, 0),
    minPost: count(q.post, 0),
    input: { rois: unique(list(q.in).filter(Boolean)), mode: one(q.inm) === 'all' ? 'all' : 'any', min: Math.max(1, count(q.inmin, 1)) },
    output: { rois: unique(list(q.out).filter(Boolean)), mode: one(q.outm) === 'all' ? 'all' : 'any', min: Math.max(1, count(q.outmin, 1)) },
    columns: unique(list(q.col).filter(Boolean)),
    sort: key ? { key, dir: one(q.dir) === 'asc' ? 'asc' : 'desc' } : null,
  };
}

/** The smallest query string that gives `form` back (defaults left out). */
export function routeFromForm(f: NeuronForm): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (f.text) out.q = f.text;
  if (f.statuses.length) out.st = [...f.statuses];
  if (f.minPre > 0) out.pre = String(f.minPre);
  if (f.minPost > 0) out.post = String(f.minPost);
  if (f.input.rois.length) {
    out.in = [...f.input.rois];
    if (f.input.mode === 'all') out.inm = 'all';
    if (f.input.min > 1) out.inmin = String(f.input.min);
  }
  if (f.output.rois.length) {
    out.out = [...f.output.rois];
    if (f.output.mode === 'all') out.outm = 'all';
    if (f.output.min > 1) out.outmin = String(f.output.min);
  }
  if (f.columns.length) out.col = [...f.columns];
  if (f.sort) {
    out.sort = f.sort.key;
    out.dir = f.sort.dir;
  }
  return out;
}

/** Filter ROIs first (inputs, then outputs), then the extra columns; each once. */
export function roiColumns(f: NeuronForm): string[] {
  return unique([...f.input.rois, ...f.output.rois, ...f.columns]);
}

function roiFilter(r: RoiFilterForm): RoiFilter | undefined {
  return r.rois.length ? { rois: [...r.rois], mode: r.mode, min: r.min } : undefined;
}

/** The API query of a form (without the window: offset / limit are the table's). */
export function toNeuronQuery(f: NeuronForm): NeuronQuery {
  const q: NeuronQuery = {};
  const text = f.text.trim();
  if (text) q.text = text;
  if (f.statuses.length) q.statuses = [...f.statuses];
  if (f.minPre > 0) q.minPre = f.minPre;
  if (f.minPost > 0) q.minPost = f.minPost;
  const input = roiFilter(f.input);
  if (input) q.inputRois = input;
  const output = roiFilter(f.output);
  if (output) q.outputRois = output;
  const cols = roiColumns(f);
  if (cols.length) q.roiColumns = cols;
  if (f.sort) q.sort = { ...f.sort };
  return q;
}

/** What the search box holds, as the user will read it back: "body id", "regex" or "text". */
export function textKind(text: string): 'empty' | 'body id' | 'regex' | 'text' {
  const t = text.trim();
  if (!t) return 'empty';
  if (/^\d+$/.test(t)) return 'body id';
  if (t.length >= 2 && t.startsWith('/') && t.endsWith('/')) return 'regex';
  return 'text';
}
