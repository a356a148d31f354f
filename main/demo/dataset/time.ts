/**
 * The three timestamp flavours DVID emits (DVID-API.md §1.5), generated from deterministic instants:
 * Go time.Time JSON (RFC 3339 with nanoseconds, trailing zeros trimmed), RFC 3339 seconds (label
 * index "last mod time") and Go's time.Time.String() with its monotonic-clock suffix (mutation logs).
 * The zone is US Eastern, as on Janelia's servers: EST (-05:00) in winter, EDT (-04:00) in summer.
 */

export interface Instant {
  /** Milliseconds since the epoch (UTC). */
  ms: number;
  /** Extra nanoseconds within the millisecond (0..999999). */
  ns: number;
}

function eastern(ms: number): { offsetMin: number; abbr: string } {
  // US DST: second Sunday of March 07:00 UTC .. first Sunday of November 06:00 UTC.
  const y = new Date(ms).getUTCFullYear();
  const secondSunday = (m: number, nth: number): number => {
    const first = new Date(Date.UTC(y, m, 1)).getUTCDay();
    return 1 + ((7 - first) % 7) + 7 * (nth - 1);
  };
  const start = Date.UTC(y, 2, secondSunday(2, 2), 7);
  const end = Date.UTC(y, 10, secondSunday(10, 1), 6);
  return ms >= start && ms < end ? { offsetMin: -240, abbr: 'EDT' } : { offsetMin: -300, abbr: 'EST' };
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function local(t: Instant): { date: string; time: string; frac: string; offset: string; abbr: string; goOffset: string } {
  const z = eastern(t.ms);
  const d = new Date(t.ms + z.offsetMin * 60_000);
  const nanos = (t.ms % 1000) * 1_000_000 + t.ns;
  const frac = nanos === 0 ? '' : `.${pad(nanos, 9)}`.replace(/0+$/, '');
  const sign = z.offsetMin < 0 ? '-' : '+';
  const oh = pad(Math.floor(Math.abs(z.offsetMin) / 60)), om = pad(Math.abs(z.offsetMin) % 60);
  return {
    date: `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`,
    time: `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`,
    frac,
    offset: `${sign}${oh}:${om}`,
    goOffset: `${sign}${oh}${om}`,
    abbr: z.abbr,
  };
}

/** Go's json.Marshal of a time.Time: "2020-01-20T10:04:05.123456789-05:00". */
export function goTimeJson(t: Instant): string {
  const l = local(t);
  return `${l.date}T${l.time}${l.frac}${l.offset}`;
}

/** time.RFC3339: "2020-01-20T10:04:05-05:00". */
export function rfc3339(t: Instant): string {
  const l = local(t);
  return `${l.date}T${l.time}${l.offset}`;
}

/** Go's time.Now().String(): "2020-01-20 10:04:05.123456789 -0500 EST m=+3605.123456789". */
export function goTimeString(t: Instant, monotonicSeconds: number): string {
  const l = local(t);
  return `${l.date} ${l.time}${l.frac} ${l.goOffset} ${l.abbr} m=+${monotonicSeconds.toFixed(9)}`;
}
