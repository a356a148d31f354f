/**
 * What part of an instance a sync takes: the scope grammar of `--instance NAME=SCOPE` and of plan
 * files.
 *
 *   all                              everything (the default)
 *   roi:EB,FB                        what lies in these ROIs (roi instances of the same repo)
 *   bbox:x0,y0,z0-x1,y1,z1           a box of scale-0 voxels, half-open ([x0,x1) × [y0,y1) × [z0,z1))
 *   bodies:1,2,3 | bodies:@FILE      these bodies (FILE: ids separated by spaces, commas or newlines; # comments)
 *   keys:A..B                        keyvalue keys A ≤ key ≤ B (byte order, both inclusive, as DVID's keyrange)
 *   top:N                            labelsz: the N highest-ranked labels of each index
 *   …;scales=0-3 | …;scales=0,2      labelmap: the pyramid levels to take (default 0)
 *   …;labels=bodies                  labelmap: blocks with body ids (mapped by the server) instead of
 *                                    supervoxel blocks plus the supervoxel→body mapping (the default)
 *
 * Names with quotes or spaces go in a plan file (`--plan FILE.json`):
 *   { "instances": [ { "name": "AB(L) x", "scope": "roi:EB" }, … ] }
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type Region =
  | { kind: 'all' }
  | { kind: 'roi'; rois: string[] }
  /** Half-open box of scale-0 voxels. */
  | { kind: 'bbox'; min: [number, number, number]; max: [number, number, number] }
  | { kind: 'bodies'; bodies: bigint[] }
  | { kind: 'keys'; first: string; last: string }
  | { kind: 'top'; n: number };

export interface Scope {
  region: Region;
  /** labelmap pyramid levels; null = not given (default [0]). */
  scales: number[] | null;
  /** labelmap: body-labelled blocks instead of supervoxel blocks + mapping (the default). */
  bodyLabels?: boolean;
}

export interface InstanceScope {
  name: string;
  scope: Scope;
}

export class ScopeError extends Error {
  override name = 'ScopeError';
}

const U64_MAX = (1n << 64n) - 1n;

function parseBodies(text: string, where: string): bigint[] {
  const out: bigint[] = [];
  for (const line of text.split('\n')) {
    const content = line.replace(/#.*$/, '');
    for (const tok of content.split(/[\s,]+/)) {
      if (!tok) continue;
      if (!/^\d{1,20}$/.test(tok)) throw new ScopeError(`${where}: "${tok.slice(0, 40)}" is not a body id`);
      const v = BigInt(tok);
      if (v > U64_MAX || v === 0n) throw new ScopeError(`${where}: ${tok} is not a body id (1 … 2^64−1)`);
      out.push(v);
    }
  }
  if (out.length === 0) throw new ScopeError(`${where}: no body ids`);
  return [...new Set(out)];
}

function parseScales(text: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\d{1,2})(?:-(\d{1,2}))?$/.exec(part.trim());
    if (!m) throw new ScopeError(`scales "${text}": expected e.g. 0-3 or 0,2`);
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (b < a) throw new ScopeError(`scales "${text}": ${a}-${b} is backwards`);
    for (let s = a; s <= b; s++) out.add(s);
  }
  return [...out].toSorted((x, y) => x - y);
}

/**
 * Parses one SCOPE. `baseDir` resolves `bodies:@FILE` (the current directory on the command line, the
 * plan file's folder inside a plan).
 */
export function parseScope(text: string, baseDir = process.cwd()): Scope {
  const raw = text.trim();
  const semi = raw.indexOf(';');
  const main = semi < 0 ? raw : raw.slice(0, semi);
  let scales: number[] | null = null;
  let bodyLabels = false;
  if (semi >= 0) {
    for (const opt of raw.slice(semi + 1).split(';')) {
      const labels = /^\s*labels\s*=\s*(\w+)\s*$/.exec(opt);
      if (labels) {
        if (labels[1] !== 'bodies' && labels[1] !== 'supervoxels') throw new ScopeError(`;labels=${labels[1]}: use bodies or supervoxels`);
        bodyLabels = labels[1] === 'bodies';
        continue;
      }
      const m = /^\s*scales\s*=\s*(.+)$/.exec(opt);
      if (!m) throw new ScopeError(`scope option "${opt}": ;scales=… and ;labels=bodies are known`);
      scales = parseScales(m[1]!);
    }
  }
  const colon = main.indexOf(':');
  const kind = (colon < 0 ? main : main.slice(0, colon)).trim();
  const arg = colon < 0 ? '' : main.slice(colon + 1).trim();
  let region: Region;
  switch (kind) {
    case '':
    case 'all':
      if (arg) throw new ScopeError(`scope "all" takes no argument`);
      region = { kind: 'all' };
      break;
    case 'roi': {
      const rois = arg
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      if (rois.length === 0) throw new ScopeError('roi: needs at least one ROI name, e.g. roi:EB,FB');
      region = { kind: 'roi', rois: [...new Set(rois)] };
      break;
    }
    case 'bbox': {
      const m = /^(-?\d+),(-?\d+),(-?\d+)-(-?\d+),(-?\d+),(-?\d+)$/.exec(arg.replace(/\s+/g, ''));
      if (!m) throw new ScopeError(`bbox:${arg}: expected x0,y0,z0-x1,y1,z1 (scale-0 voxels, half-open)`);
      const v = m.slice(1).map(Number);
      const min: [number, number, number] = [v[0]!, v[1]!, v[2]!];
      const max: [number, number, number] = [v[3]!, v[4]!, v[5]!];
      if (!v.every(Number.isSafeInteger) || min.some((x, i) => x >= max[i]!)) throw new ScopeError(`bbox:${arg}: each x1, y1, z1 must be greater than x0, y0, z0`);
      region = { kind: 'bbox', min, max };
      break;
    }
    case 'bodies': {
      if (arg.startsWith('@')) {
        const file = resolve(baseDir, arg.slice(1));
        let content: string;
        try {
          content = readFileSync(file, 'utf8');
        } catch (err) {
          throw new ScopeError(`bodies:@${arg.slice(1)}: cannot read ${file}: ${(err as Error).message}`);
        }
        region = { kind: 'bodies', bodies: parseBodies(content, file) };
      } else {
        region = { kind: 'bodies', bodies: parseBodies(arg, 'bodies:') };
      }
      break;
    }
    case 'keys': {
      const dots = arg.indexOf('..');
      if (dots < 0) throw new ScopeError(`keys:${arg}: expected A..B`);
      const first = arg.slice(0, dots);
      const last = arg.slice(dots + 2);
      if (!first || !last || first > last) throw new ScopeError(`keys:${arg}: expected A..B with A ≤ B (byte order)`);
      region = { kind: 'keys', first, last };
      break;
    }
    case 'top': {
      if (!/^\d{1,9}$/.test(arg) || Number(arg) < 1) throw new ScopeError(`top:${arg}: expected a positive count, e.g. top:1000`);
      region = { kind: 'top', n: Number(arg) };
      break;
    }
    default:
      throw new ScopeError(`unknown scope "${kind}" (all, roi:…, bbox:…, bodies:…, keys:…, top:N)`);
  }
  return bodyLabels ? { region, scales, bodyLabels } : { region, scales };
}

/** `NAME` or `NAME=SCOPE` (the first '=' separates them; names with '=' need a plan file). */
export function parseInstanceArg(arg: string, baseDir = process.cwd()): InstanceScope {
  const eq = arg.indexOf('=');
  const name = (eq < 0 ? arg : arg.slice(0, eq)).trim();
  if (!name) throw new ScopeError(`--instance "${arg}": no instance name`);
  return { name, scope: parseScope(eq < 0 ? 'all' : arg.slice(eq + 1), baseDir) };
}

/** A plan file: `{ "node"?: "uuid[:branch]", "instances": [ { "name": …, "scope"?: "…" } ] }`. */
export function readPlanFile(path: string): { node: string | null; instances: InstanceScope[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new ScopeError(`--plan ${path}: ${(err as Error).message}`);
  }
  const o = raw as { node?: unknown; instances?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.instances)) throw new ScopeError(`--plan ${path}: expected {"instances": [{"name": …, "scope": …}, …]}`);
  const base = dirname(resolve(path));
  const instances = o.instances.map((x: unknown, i: number) => {
    const e = x as { name?: unknown; scope?: unknown };
    if (!e || typeof e.name !== 'string' || !e.name) throw new ScopeError(`--plan ${path}: instances[${i}] needs a "name"`);
    if (e.scope !== undefined && typeof e.scope !== 'string') throw new ScopeError(`--plan ${path}: instances[${i}].scope must be a string`);
    return { name: e.name, scope: parseScope(e.scope ?? 'all', base) };
  });
  if (o.node !== undefined && typeof o.node !== 'string') throw new ScopeError(`--plan ${path}: "node" must be a string`);
  return { node: (o.node as string | undefined) ?? null, instances };
}

/** Canonical text of a scope (plan identity and display); bodies are sorted. */
export function scopeText(s: Scope): string {
  const r = s.region;
  let t: string;
  switch (r.kind) {
    case 'all':
      t = 'all';
      break;
    case 'roi':
      t = `roi:${r.rois.toSorted().join(',')}`;
      break;
    case 'bbox':
      t = `bbox:${r.min.join(',')}-${r.max.join(',')}`;
      break;
    case 'bodies': {
      const sorted = r.bodies.toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      t = sorted.length > 6 ? `bodies:${sorted.length} ids` : `bodies:${sorted.join(',')}`;
      break;
    }
    case 'keys':
      t = `keys:${r.first}..${r.last}`;
      break;
    case 'top':
      t = `top:${r.n}`;
      break;
  }
  return `${t}${s.scales ? `;scales=${s.scales.join(',')}` : ''}${s.bodyLabels ? ';labels=bodies' : ''}`;
}

/** Full canonical form (every body id), for plan identity. */
export function scopeKey(s: Scope): string {
  if (s.region.kind !== 'bodies') return scopeText(s);
  const ids = s.region.bodies.toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(',');
  return `bodies:${ids}${s.scales ? `;scales=${s.scales.join(',')}` : ''}${s.bodyLabels ? ';labels=bodies' : ''}`;
}

/** "4GiB", "500MB", "1.5T", "123" → bytes (K/M/G/T/P, with or without i, B; powers of 1024). */
export function parseByteSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgtp]?)(i?)(b?)\s*$/i.exec(text);
  if (!m) throw new ScopeError(`"${text}" is not a size (e.g. 4GiB, 500M, 2T)`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't' | 'p'];
  const v = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(v) || v <= 0) throw new ScopeError(`"${text}" is not a usable size`);
  return v;
}
