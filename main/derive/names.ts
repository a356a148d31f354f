/**
 * The name fields of a body and how a search text ranks against them.
 *
 * Searched fields: `type`, `instance`, and the other name fields (class, superclass, primary neurite
 * / cell body fiber, hemilineage, notes/synonyms), kept in `bodies.other_names` joined by U+001F
 * (a character no one types, so a substring never spans two fields).
 *
 * Rank tiers (lower first; `type` before `instance` before the others within each kind of match):
 *   0        exact body id
 *   1, 2, 3  the whole value equals the text             (type, instance, other)
 *   4, 5, 6  the value starts with the text
 *   7, 8, 9  a word inside the value starts with the text: after "(" as in `EPG(PB08)_L3` for "PB08",
 *            or after any other non-alphanumeric character ("L3" after "_")
 *   10–12    the text occurs anywhere in the value       (texts of 3+ characters: the trigram index)
 *   13       the body id starts with the text            (3+ digits; bodies_id ranges, not FTS)
 * Matching ignores case and diacritics, like the FTS5 tokenizers that find the candidates.
 */
import type { ParsedAnnotation } from '../cache/body-annotation-store';

export const OTHER_NAME_FIELDS = ['class', 'superclass', 'primary_neurite', 'hemilineage', 'notes'] as const satisfies ReadonlyArray<keyof ParsedAnnotation>;
export const FIELD_SEP = '\u001f';

export const TIER_ID = 0;
export const TIER_ID_PREFIX = 13;
/** Shortest text the substring tier (and the trigram index) serves. */
export const SUBSTRING_MIN = 3;

export function otherNames(a: Pick<ParsedAnnotation, (typeof OTHER_NAME_FIELDS)[number]>): string | null {
  const parts = OTHER_NAME_FIELDS.map((f) => a[f]).filter((v): v is string => typeof v === 'string' && v.trim() !== '');
  return parts.length ? parts.join(FIELD_SEP) : null;
}

const folded = new Map<string, string>();

/** Case- and diacritic-insensitive form used on both sides of a comparison (memoised: names repeat). */
export function fold(s: string): string {
  let f = folded.get(s);
  if (f === undefined) {
    // oxlint-disable-next-line no-control-regex -- ASCII test
    f = /^[\x00-\x7f]*$/.test(s) ? s.toLowerCase() : s.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();
    if (folded.size >= 100_000) folded.clear();
    folded.set(s, f);
  }
  return f;
}

const ALNUM = /[\p{L}\p{N}]/u;

function wordPrefix(v: string, q: string): boolean {
  for (let i = v.indexOf(q, 1); i > 0; i = v.indexOf(q, i + 1)) {
    if (!ALNUM.test(v[i - 1]!)) return true;
  }
  return false;
}

/** Tier of one value (0 exact, 1 prefix, 2 word prefix, 3 substring) or -1. */
function matchKind(value: string | null, q: string, substring: boolean): number {
  if (value === null) return -1;
  const v = fold(value);
  if (v === q) return 0;
  if (v.startsWith(q)) return 1;
  if (wordPrefix(v, q)) return 2;
  if (substring && v.includes(q)) return 3;
  return -1;
}

/**
 * Best name tier (1–12) of a body for the folded search text `q`, or -1 when no name matches.
 * `substring` enables tiers 10–12 (only when the candidates came from the trigram index).
 */
export function nameTier(q: string, type: string | null, instance: string | null, other: string | null, substring: boolean): number {
  let best = -1;
  const consider = (kind: number, field: number) => {
    if (kind < 0) return;
    const t = kind * 3 + field + 1;
    if (best < 0 || t < best) best = t;
  };
  consider(matchKind(type, q, substring), 0);
  if (best === 1) return best;
  consider(matchKind(instance, q, substring), 1);
  if (other !== null) {
    for (const part of partsOf(other)) consider(matchKind(part, q, substring), 2);
  }
  return best;
}

const parts = new Map<string, string[]>();
function partsOf(other: string): string[] {
  let p = parts.get(other);
  if (!p) {
    p = other.split(FIELD_SEP);
    if (parts.size >= 100_000) parts.clear();
    parts.set(other, p);
  }
  return p;
}

/** FTS5 string literal: the text in double quotes, inner quotes doubled. */
export function ftsString(s: string): string {
  return `"${s.replaceAll('"', '""')}"`;
}

/** Words of a text as the unicode61 tokenizer splits them (letters and digits; the rest separates). */
export function words(s: string): string[] {
  return fold(s)
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0);
}
