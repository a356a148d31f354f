/**
 * The bits of Go's encoding/json output the demo must reproduce byte for byte: string escaping
 * (HTML-safe: <, >, & become \u003c, \u003e, \u0026; U+2028/U+2029 escaped), map keys sorted,
 * nil slices and maps as null. Used for the JSON DVID marshals itself (element lists, instance
 * info); uint64 values are written from bigints so nothing passes through a JS number.
 */

export function goString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ch = s[i]!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c < 0x20) {
      if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += `\\u${c.toString(16).padStart(4, '0')}`;
    } else if (ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** map[string]string with sorted keys; null for a nil map. */
export function goStringMap(m: Readonly<Record<string, string>> | null): string {
  if (m === null) return 'null';
  const keys = Object.keys(m).toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${goString(k)}:${goString(m[k]!)}`).join(',')}}`;
}

export function goStringList(list: readonly string[] | null): string {
  return list === null ? 'null' : `[${list.map(goString).join(',')}]`;
}

/** Any JSON-able value the way Go would marshal the equivalent struct (keys in the given order). */
export function goValue(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return goString(v);
  if (Array.isArray(v)) return `[${v.map(goValue).join(',')}]`;
  return `{${Object.entries(v as Record<string, unknown>)
    .map(([k, x]) => `${goString(k)}:${goValue(x)}`)
    .join(',')}}`;
}
