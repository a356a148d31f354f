/**
 * `segmentation_annotations` values: one JSON object per body, keyed by the decimal body id, with
 * the fields FlyEM tools write (DVID-API.md §11): `bodyid`, `status` (neuclease's status names),
 * `type`, `instance` (type plus a qualifier and side, e.g. `EPG(PB08)_L3`), `class`, `user`,
 * `status_user`, `comment`, `cell body fiber`, `soma_side`. Only the larger bodies carry one, as in
 * real data: every neuron, and the fragments above the dataset's 15th size percentile (mostly
 * "Orphan" statuses); the smallest fragments have none. About 3 % of neurons use NeuTu's legacy
 * fields (`body ID`, `name`, `naming user`, `status user`), which clients must still read.
 *
 * bodyid values are written as JSON integers, also above 2^53 (what neuclease does).
 */
import type { Rng } from './prng';
import { PROOFREADERS } from './versions';

/** Fragments with at least this many voxels get an annotation: the 15th percentile of their sizes (≥ 1000). */
export function annotationThreshold(fragmentVoxels: readonly number[]): number {
  if (fragmentVoxels.length === 0) return 1000;
  const sorted = fragmentVoxels.toSorted((a, b) => a - b);
  return Math.max(1000, sorted[Math.floor(sorted.length * 0.15)]!);
}

const NEURON_STATUSES: Array<[string, number]> = [
  ['Traced', 45], ['Roughly traced', 20], ['Prelim Roughly traced', 8], ['Leaves', 6], ['Anchor', 5],
  ['Finalized', 4], ['0.5assign', 4], ['Partially traced', 3], ['Sensory Anchor', 2], ['Soma Anchor', 2], ['Cervical Anchor', 1],
];
const ORPHAN_STATUSES: Array<[string, number]> = [
  ['Orphan', 45], ['Unimportant', 15], ['Orphan hotknife', 12], ['Not examined', 10], ['Orphan-artifact', 6],
  ['PRT Orphan', 4], ['RT Orphan', 3], ['Hard to trace', 3], ['Glia', 2],
];

/** Cell types (real hemibrain names) with their class and how their instances are qualified. */
const TYPES: Array<{ type: string; cls: string; qualify: (r: Rng) => string; fiber: string }> = [
  { type: 'EPG', cls: 'CX', qualify: (r) => `(PB${String(r.int(1, 9)).padStart(2, '0')})_${r.pick(['L', 'R'])}${r.int(1, 8)}`, fiber: 'PDM10' },
  { type: 'PEN_a(PEN1)', cls: 'CX', qualify: (r) => `_${r.pick(['L', 'R'])}${r.int(2, 9)}`, fiber: 'PDM10' },
  { type: 'PEG', cls: 'CX', qualify: (r) => `(PB${String(r.int(1, 9)).padStart(2, '0')})_${r.pick(['L', 'R'])}${r.int(1, 8)}`, fiber: 'PDM10' },
  { type: 'Delta7', cls: 'CX', qualify: (r) => `(PB${r.int(10, 18)})_${r.pick(['L', 'R'])}${r.int(1, 8)}`, fiber: 'PDM07' },
  { type: 'PFNa', cls: 'CX', qualify: (r) => `(PB${String(r.int(1, 9)).padStart(2, '0')})_${r.pick(['L', 'R'])}${r.int(2, 9)}`, fiber: 'PDM11' },
  { type: 'hDeltaB', cls: 'CX', qualify: () => '_R', fiber: 'PDM03' },
  { type: 'FB4Y', cls: 'CX', qualify: (r) => `_${r.pick(['L', 'R'])}`, fiber: 'AVM15' },
  { type: 'ER4d', cls: 'CX', qualify: (r) => `_${r.pick(['L', 'R'])}`, fiber: 'AVM13' },
  { type: 'ExR1', cls: 'CX', qualify: (r) => `_${r.pick(['L', 'R'])}`, fiber: 'ADM02' },
  { type: 'KCg-m', cls: 'MB', qualify: () => '_R', fiber: 'PDM26' },
  { type: 'KCab-c', cls: 'MB', qualify: () => '_R', fiber: 'PDM26' },
  { type: "KCa'b'-m", cls: 'MB', qualify: () => '_R', fiber: 'PDM26' },
  { type: 'MBON01', cls: 'MB', qualify: () => "(y5B'2a)_R", fiber: 'PDM08' },
  { type: 'APL', cls: 'MB', qualify: () => '_R', fiber: 'PVM06' },
  { type: 'DPM', cls: 'MB', qualify: () => '_R', fiber: 'PDM19' },
  { type: 'DA1_lPN', cls: 'PN', qualify: () => '_R', fiber: 'AVM02' },
  { type: 'VA1v_adPN', cls: 'PN', qualify: () => '_R', fiber: 'ADL01' },
  { type: 'LC4', cls: 'LC', qualify: () => '_R', fiber: 'PVL05' },
  { type: 'LPLC2', cls: 'LC', qualify: () => '_R', fiber: 'PVL05' },
  { type: 'SMP001', cls: 'SNP', qualify: (r) => `_${r.pick(['L', 'R'])}`, fiber: 'PDM05' },
  { type: 'LAL001', cls: 'LX', qualify: () => '_R', fiber: 'PVL02' },
  { type: 'PLP001', cls: 'VLNP', qualify: () => '_R', fiber: 'PVL09' },
];

function weighted(rng: Rng, table: Array<[string, number]>): string {
  return table[rng.weighted(table.map((t) => t[1]))]![0];
}

/** A JSON object with one raw (unquoted) field; keeps uint64 body ids exact. */
function objectJson(idKey: string, id: bigint, fields: Record<string, string | number | boolean>): string {
  const rest = Object.entries(fields)
    .map(([k, v]) => `,${JSON.stringify(k)}:${JSON.stringify(v)}`)
    .join('');
  return `{${JSON.stringify(idKey)}:${id}${rest}}`;
}

export interface NeuronNaming {
  type: string;
  instance: string;
  cls: string;
  fiber: string;
}

export function nameNeuron(rng: Rng): NeuronNaming {
  const t = rng.pick(TYPES);
  return { type: t.type, instance: t.type + t.qualify(rng), cls: t.cls, fiber: t.fiber };
}

export function neuronAnnotation(rng: Rng, id: bigint, naming: NeuronNaming, extra: Record<string, string> = {}): string {
  const status = weighted(rng, NEURON_STATUSES);
  const user = rng.pick(PROOFREADERS);
  if (rng.chance(0.03)) {
    // NeuTu's legacy field names.
    return objectJson('body ID', id, { name: naming.instance, class: naming.type, status, 'naming user': user, 'status user': rng.pick(PROOFREADERS), ...extra });
  }
  const fields: Record<string, string | number | boolean> = {
    status,
    type: naming.type,
    instance: naming.instance,
    class: naming.cls,
    user,
    status_user: rng.pick(PROOFREADERS),
  };
  if (rng.chance(0.6)) fields['cell body fiber'] = naming.fiber;
  const side = /_([LR])\d*$/.exec(naming.instance)?.[1];
  if (side) fields.soma_side = side;
  if (rng.chance(0.15)) fields.comment = rng.pick(['check arbor in FB', 'soma outside volume?', 'possible merge in PB', 'follow up with matching type', 'nice']);
  return objectJson('bodyid', id, { ...fields, ...extra });
}

export function orphanAnnotation(rng: Rng, id: bigint): string {
  const fields: Record<string, string> = { status: weighted(rng, ORPHAN_STATUSES), user: rng.pick(PROOFREADERS) };
  if (rng.chance(0.3)) fields.status_user = rng.pick(PROOFREADERS);
  return objectJson('bodyid', id, fields);
}

/** The annotation after a proofreader edit: same object, some fields replaced or added. */
export function editAnnotation(json: string, changes: Record<string, string>): string {
  // The values are plain JSON objects written by objectJson: the first field is the id.
  const idMatch = /^\{"(bodyid|body ID)":(\d+)/.exec(json);
  if (!idMatch) throw new Error(`not a body annotation: ${json.slice(0, 60)}`);
  const obj = JSON.parse(json.replace(/^\{"(bodyid|body ID)":\d+,?/, '{')) as Record<string, string>;
  return objectJson(idMatch[1]!, BigInt(idMatch[2]!), { ...obj, ...changes });
}
