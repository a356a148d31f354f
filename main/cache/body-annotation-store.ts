/**
 * Parsed columns of body annotations (FlyEM `segmentation_annotations`, DVID-API §11). The raw JSON is
 * kept verbatim as the value of the `kv_entries` row with the same instance, node and key (the body
 * id in decimal); these columns are what search and tables read. Field names follow neuclease and
 * NeuTu, legacy names included (`name`, `status user`, `naming user`, `body ID`, `cell body fiber`).
 * Non-string values (numbers, booleans) are kept as their JSON text; unknown fields stay only in the
 * raw JSON.
 */
import type { CacheDb } from './open';
import { RowWriter } from './row-writer';
import { TABLES } from './tables';
import { u64FromDb, u64ToDb } from './u64';

export const ANNOTATION_COLUMNS = [
  'status',
  'type',
  'instance',
  'class',
  'user',
  'comment',
  'description',
  'notes',
  'primary_neurite',
  'status_user',
  'instance_user',
  'last_modified_by',
  'soma_side',
  'superclass',
  'neurotransmitter',
  'hemilineage',
  'grp',
] as const;
export type AnnotationColumn = (typeof ANNOTATION_COLUMNS)[number];
export type ParsedAnnotation = Record<AnnotationColumn, string | null>;

/** JSON field names for each column, first found wins (current name first, then legacy ones). */
const SOURCES: Record<AnnotationColumn, readonly string[]> = {
  status: ['status'],
  type: ['type'],
  instance: ['instance', 'name'],
  class: ['class'],
  user: ['user'],
  comment: ['comment'],
  description: ['description'],
  notes: ['notes', 'synonym'],
  primary_neurite: ['primary neurite', 'cell body fiber', 'primary_neurite'],
  status_user: ['status_user', 'status user'],
  instance_user: ['instance_user', 'naming user'],
  last_modified_by: ['last_modified_by'],
  soma_side: ['soma_side'],
  superclass: ['superclass'],
  neurotransmitter: ['neurotransmitter'],
  hemilineage: ['hemilineage'],
  grp: ['group'],
};

function asText(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Parsed columns of one annotation value, or null when it is not a JSON object. */
export function parseBodyAnnotation(text: string): ParsedAnnotation | null {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return null;
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return null;
  const o = v as Record<string, unknown>;
  const out = {} as ParsedAnnotation;
  for (const col of ANNOTATION_COLUMNS) {
    let val: string | null = null;
    for (const f of SOURCES[col]) {
      if (Object.hasOwn(o, f) && o[f] !== null && o[f] !== undefined) {
        val = asText(o[f]);
        break;
      }
    }
    out[col] = val;
  }
  return out;
}

export class BodyAnnotationStore {
  readonly #writer: RowWriter | null;

  constructor(readonly cache: CacheDb) {
    this.#writer = cache.readonly ? null : new RowWriter(cache.db, TABLES.body_annotations, 'replace');
  }

  put(instanceId: number, nodeId: number, body: bigint, parsed: ParsedAnnotation, fetchId: number): void {
    this.#writer!.write([instanceId, nodeId, body, ...ANNOTATION_COLUMNS.map((c) => parsed[c]), fetchId]);
  }

  delete(instanceId: number, nodeId: number, body: bigint): void {
    this.cache.db.prepare('DELETE FROM body_annotations WHERE instance_id = ? AND node_id = ? AND body = ?').run(instanceId, nodeId, u64ToDb(body));
  }

  get(instanceId: number, nodeId: number, body: bigint): ParsedAnnotation | null {
    const r = this.cache.db
      .prepare(`SELECT ${ANNOTATION_COLUMNS.join(', ')} FROM body_annotations WHERE instance_id = ? AND node_id = ? AND body = ?`)
      .get(instanceId, nodeId, u64ToDb(body)) as ParsedAnnotation | undefined;
    return r ?? null;
  }

  bodies(instanceId: number, nodeId: number): bigint[] {
    return (
      this.cache.db.prepare('SELECT body FROM body_annotations WHERE instance_id = ? AND node_id = ? ORDER BY body').pluck().safeIntegers(true).all(instanceId, nodeId) as bigint[]
    ).map(u64FromDb);
  }
}
