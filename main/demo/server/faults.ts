/**
 * Fault injection, per route: a rule matches requests by method and path pattern and changes how
 * the demo server answers the first `times` of them (after letting `skip` through), so tests can
 * drive a client's retry, resume and validation paths.
 *
 * Path patterns are matched against the decoded URL path: `*` matches one segment, `**` any number
 * of segments (e.g. "/api/node/*\/segmentation/specificblocks", "/api/node/**"); a RegExp is used
 * as is. In a faults JSON file (`dvid-desk demo-server --faults FILE.json`), a path written
 * "re:<source>" is a RegExp.
 *
 * Kinds:
 *   latency          wait latencyMs before answering normally
 *   status           answer `status` (500, 503 or 429; default 503) with DVID's text for it and,
 *                    for 429 and 503, `Retry-After: retryAfter` (default 1 s)
 *   reset            destroy the connection (after afterBytes of body when given, else before any byte)
 *   split            write the body in chunks of chunkBytes (default 7), so records straddle writes
 *   truncate         stop after afterBytes (default: half the body) and drop the connection
 *   corrupt          flip 8 bytes at corruptAt (default: the middle of the first part: for block
 *                    streams, inside the first payload)
 *   error-after-200  answer 200, write afterParts parts (default 1), then DVID's error text
 *                    "<errorText> (<path>).\n", as DVID does when a streamed handler fails
 *   stall            write afterBytes (default: half the body), then keep the connection open
 *                    without writing until the client gives up
 */

export type FaultKind = 'latency' | 'status' | 'reset' | 'split' | 'truncate' | 'corrupt' | 'error-after-200' | 'stall';

export interface FaultRule {
  method?: string;
  path: string | RegExp;
  kind: FaultKind;
  status?: number;
  retryAfter?: number;
  latencyMs?: number;
  times?: number;
  skip?: number;
  afterBytes?: number;
  afterParts?: number;
  chunkBytes?: number;
  corruptAt?: number;
  errorText?: string;
}

export const FAULT_KINDS: readonly FaultKind[] = ['latency', 'status', 'reset', 'split', 'truncate', 'corrupt', 'error-after-200', 'stall'];

function globToRegExp(glob: string): RegExp {
  let re = '^';
  const segs = glob.split('/');
  segs.forEach((seg, i) => {
    if (i > 0) re += '/';
    if (seg === '**') {
      re += '.*';
      return;
    }
    re += seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
  });
  return new RegExp(`${re}/?$`);
}

/** Checks and normalises rules from options or a JSON file; throws a readable Error. */
export function parseFaultRules(input: unknown): FaultRule[] {
  if (!Array.isArray(input)) throw new Error('faults must be a JSON array of rules');
  return input.map((raw, i) => {
    if (!raw || typeof raw !== 'object') throw new Error(`fault ${i}: not an object`);
    const r = { ...(raw as Record<string, unknown>) } as unknown as FaultRule;
    if (!FAULT_KINDS.includes(r.kind)) throw new Error(`fault ${i}: kind must be one of ${FAULT_KINDS.join(', ')}`);
    if (typeof r.path === 'string' && r.path.startsWith('re:')) r.path = new RegExp(r.path.slice(3));
    if (typeof r.path !== 'string' && !(r.path instanceof RegExp)) throw new Error(`fault ${i}: path must be a string pattern`);
    if (r.kind === 'status' && r.status !== undefined && ![429, 500, 503].includes(r.status)) throw new Error(`fault ${i}: status must be 429, 500 or 503`);
    for (const k of ['times', 'skip', 'afterBytes', 'afterParts', 'chunkBytes', 'corruptAt', 'latencyMs', 'retryAfter'] as const) {
      const v = r[k];
      if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v) || v < 0)) throw new Error(`fault ${i}: ${k} must be a non-negative number`);
    }
    return r;
  });
}

interface ArmedRule {
  rule: FaultRule;
  re: RegExp;
  seen: number;
  applied: number;
}

export class FaultTable {
  private rules: ArmedRule[] = [];

  set(rules: readonly FaultRule[]): void {
    this.rules = parseFaultRules(rules).map((rule) => ({
      rule,
      re: rule.path instanceof RegExp ? rule.path : globToRegExp(rule.path),
      seen: 0,
      applied: 0,
    }));
  }

  /** The rule that applies to this request (first matching rule with budget left), counting it. */
  take(method: string, path: string): FaultRule | null {
    for (const a of this.rules) {
      if (a.rule.method && a.rule.method.toUpperCase() !== method) continue;
      if (!a.re.test(path)) continue;
      a.seen++;
      if (a.seen <= (a.rule.skip ?? 0)) continue;
      if (a.rule.times !== undefined && a.applied >= a.rule.times) continue;
      a.applied++;
      return a.rule;
    }
    return null;
  }

  /** How many requests each rule has changed so far (in rule order). */
  counts(): number[] {
    return this.rules.map((a) => a.applied);
  }
}

/** The body DVID (or its front) sends with each injected status. */
export function faultStatusBody(status: number, path: string, reqId: number): string {
  if (status === 500) return `Panic detected on request demo/${reqId}:\nruntime error: invalid memory address or nil pointer dereference\nIP: 127.0.0.1, URL: ${path}\n\n`;
  if (status === 429) return `User "demo" is blocked: too many requests, retry later\n`;
  return 'Server already running 2 throttled operations (max = 2)\n\n';
}
