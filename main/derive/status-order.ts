/**
 * Proofreading statuses in neuclease's order (DEFAULT_BODY_STATUS_CATEGORIES, DVID-API.md §11), from
 * least to most complete. A status is stored as the free text the server holds; its rank here is
 * what filters and sorts use. Matching ignores case and surrounding spaces ("traced" ranks as
 * "Traced"); the newer synonyms rank as the status they stand for. Anything else is in the
 * "unknown" bucket: rank null, listed after every known status.
 */

export const STATUS_ORDER: readonly string[] = [
  'Unimportant',
  'Glia',
  'Hard to trace',
  'Orphan-artifact',
  'Orphan',
  'Orphan hotknife',
  'Putative Leaves',
  'Out of scope',
  'Not examined',
  '',
  '0.5assign',
  'Anchor',
  'Cleaved Anchor',
  'Will be merged',
  'Partially traced',
  'Sensory Anchor',
  'Cervical Anchor',
  'Soma Anchor',
  'Examined Soma Anchor',
  'Primary Anchor',
  'Leaves',
  'PRT Orphan',
  'Reviewed',
  'Prelim Roughly traced',
  'RT Hard to trace',
  'RT Orphan',
  'Roughly traced',
  'Traced in ROI',
  'Traced',
  'Finalized',
];

/** Newer names that mean an older status (DVID-API.md §11). */
const SYNONYMS: Readonly<Record<string, string>> = { Cropped: 'Leaves', assign: '0.5assign' };

const RANK = new Map<string, number>();
STATUS_ORDER.forEach((s, i) => RANK.set(s.toLowerCase(), i));
for (const [alias, target] of Object.entries(SYNONYMS)) RANK.set(alias.toLowerCase(), RANK.get(target.toLowerCase())!);

/** The status a body without one (no annotation, or no status field) is filed under. */
export const EMPTY_STATUS = '';

/** Rank of a raw status (null or missing = the empty status), or null for an unknown status. */
export function statusRank(status: string | null | undefined): number | null {
  return RANK.get((status ?? '').trim().toLowerCase()) ?? null;
}
