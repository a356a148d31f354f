/**
 * SWC skeletons as found in the wild (DVID keyvalue `<body>_swc`, DVID-API.md §10.2).
 *
 * Text, one node per line, fields separated by any run of spaces or tabs:
 *
 *   id type x y z radius parent        parent −1 marks a root
 *
 * - `id` and `parent` are arbitrary non-negative integers (sparse, unordered, possibly ≥ 2^53): kept
 *   as bigint in a Map, never used as array indices.
 * - `type` is any integer (0 undefined, 1 soma, 2 axon, 3 dendrite, 4 apical; tools add others).
 * - x, y, z, radius are finite decimal numbers (FlyEM NeuTu: voxel units).
 * - Lines starting with `#` (after optional whitespace) are comments. NeuTu's `#${...}` lines hold
 *   JSON, e.g. `#${"mutation id": 1000009350}`: parsed losslessly into `headerJson`, and the mutation
 *   id (the body's mutation when the skeleton was made; compare with /lastmod) into `mutationId`. A `#$`
 *   line that is not a JSON object stays a plain comment.
 * - Blank lines, CRLF / LF / CR line ends and a missing final newline are all accepted.
 * - Several roots are fine (a forest). A parent that names no node, a duplicate id, or a cycle is a
 *   FormatError: offset = the character offset where that node's line starts, and the reason names
 *   the line number.
 */
import { FormatError } from './format-error';
import { parseJsonLossless, stringifyJsonLossless } from './json-u64';

const F = 'swc';
/** Hard bound: the largest string V8 holds (2^29 − 24 UTF-16 units). */
export const SWC_MAX_CHARS = 2 ** 29 - 24;

export interface SwcNode {
  id: bigint;
  type: number;
  x: number;
  y: number;
  z: number;
  radius: number;
  /** −1n = root */
  parent: bigint;
}

export interface Skeleton {
  nodes: SwcNode[];
  /** plain comment lines, without the leading `#` */
  comments: string[];
  /** the objects of the `#${...}` JSON header lines, in order (uint64-sized integers as bigint) */
  headerJson: Record<string, unknown>[];
  /** `"mutation id"` from the JSON header, or null when there is none */
  mutationId: bigint | null;
}

const MUTATION_KEY = 'mutation id';
const INT = /^[+-]?\d+$/;
const COORD_NAMES = ['x', 'y', 'z', 'radius'];
const U64_MAX = (1n << 64n) - 1n;

function isBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c;
}

/**
 * Digits only, ≤ 2^64−1, as a Map key: a number while exact (≤ 2^53−1: fast Smi/double hashing),
 * a bigint beyond. Null when not a uint64.
 */
function readUintKey(text: string, a: number, b: number): number | bigint | null {
  if (b - a > 20 || b === a) return null;
  let v = 0;
  for (let i = a; i < b; i++) {
    const d = text.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    v = v * 10 + d;
  }
  if (b - a <= 15) return v;
  const big = BigInt(text.slice(a, b));
  if (big > U64_MAX) return null;
  return big <= 9007199254740991n ? Number(big) : big;
}

/** A finite decimal number ([+-] digits [. digits] [e[+-]digits]); null for anything else (hex, nan, inf). */
function readDecimal(text: string, a: number, b: number): number | null {
  for (let i = a; i < b; i++) {
    const c = text.charCodeAt(i);
    // digits, + - . e E only: Number() alone would also take 0x1f, 0b1, Infinity.
    if (!((c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e || c === 0x65 || c === 0x45)) return null;
  }
  const v = Number(text.slice(a, b));
  return Number.isFinite(v) && b > a ? v : null;
}

function fieldText(text: string, tok: Int32Array, k: number): string {
  return text.slice(tok[2 * k] as number, tok[2 * k + 1] as number);
}

/** Map key for an id: a number while exact (fast Smi/double hashing), the bigint beyond 2^53. */
function idKey(id: bigint): number | bigint {
  return id <= 9007199254740991n ? Number(id) : id;
}

function mutationIdOf(obj: Record<string, unknown>, offset: number, line: number): bigint | null {
  if (!(MUTATION_KEY in obj)) return null;
  const v = obj[MUTATION_KEY];
  if (typeof v === 'bigint' && v >= 0n) return v;
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return BigInt(v);
  throw new FormatError(F, offset, `line ${line}: "mutation id" is ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)}, not a non-negative integer`);
}

export function parseSwc(text: string, opts?: { maxChars?: number }): Skeleton {
  const max = opts?.maxChars ?? SWC_MAX_CHARS;
  if (text.length > max) throw new FormatError(F, 0, `${text.length} characters exceeds the ${max}-character limit`);
  const nodes: SwcNode[] = [];
  const lineStarts: number[] = [];
  const lineNumbers: number[] = [];
  const comments: string[] = [];
  const headerJson: Record<string, unknown>[] = [];
  let mutationId: bigint | null = null;
  const tok = new Int32Array(14);
  // Map keys of ids and parents, kept from the scan so indexing needs no bigint work.
  const keys: Array<number | bigint> = [];
  const parentKeys: Array<number | bigint> = [];
  const xyzr = new Float64Array(4);

  const n = text.length;
  let pos = 0;
  let lineNo = 0;
  while (pos < n) {
    let end = pos;
    while (end < n) {
      const c = text.charCodeAt(end);
      if (c === 0x0a || c === 0x0d) break;
      end++;
    }
    const start = pos;
    lineNo++;
    pos = end + (text.charCodeAt(end) === 0x0d && text.charCodeAt(end + 1) === 0x0a ? 2 : 1);
    let first = start;
    while (first < end && isBlank(text.charCodeAt(first))) first++;
    if (first === end) continue;
    if (text.charCodeAt(first) === 0x23 /* # */) {
      const line = text.slice(first, end).trim();
      const body = line.slice(1);
      if (body.startsWith('${')) {
        let obj: unknown;
        try {
          obj = parseJsonLossless(body.slice(1), F);
        } catch {
          obj = undefined;
        }
        if (obj !== null && typeof obj === 'object' && !Array.isArray(obj)) {
          const record = obj as Record<string, unknown>;
          const id = mutationIdOf(record, start, lineNo);
          if (id !== null) {
            if (mutationId !== null && mutationId !== id) {
              throw new FormatError(F, start, `line ${lineNo}: a second, different mutation id (${id} after ${mutationId})`);
            }
            mutationId = id;
          }
          headerJson.push(record);
          continue;
        }
      }
      comments.push(body);
      continue;
    }
    // Tokenise the raw line by hand: a regex split per line costs more than the rest of the parse.
    let count = 0;
    let i = start;
    while (i < end && count <= 7) {
      let c = text.charCodeAt(i);
      while (i < end && (c === 0x20 || c === 0x09 || c === 0x0b || c === 0x0c)) c = text.charCodeAt(++i);
      if (i >= end) break;
      const a = i;
      while (i < end && c !== 0x20 && c !== 0x09 && c !== 0x0b && c !== 0x0c) c = text.charCodeAt(++i);
      if (count < 7) {
        tok[2 * count] = a;
        tok[2 * count + 1] = i;
      }
      count++;
    }
    if (count !== 7) throw new FormatError(F, start, `line ${lineNo}: ${count > 7 ? 'more than 7' : count} fields, expected 7 (id type x y z radius parent)`);
    const idK = readUintKey(text, tok[0] as number, tok[1] as number);
    if (idK === null) throw new FormatError(F, start, `line ${lineNo}: id "${fieldText(text, tok, 0).slice(0, 30)}" is not a uint64`);
    const typeText = fieldText(text, tok, 1);
    const type = Number(typeText);
    if (!INT.test(typeText) || !Number.isSafeInteger(type)) throw new FormatError(F, start, `line ${lineNo}: type "${typeText.slice(0, 30)}" is not an integer`);
    for (let k = 0; k < 4; k++) {
      const v = readDecimal(text, tok[2 * k + 4] as number, tok[2 * k + 5] as number);
      if (v === null) throw new FormatError(F, start, `line ${lineNo}: ${COORD_NAMES[k]} "${fieldText(text, tok, k + 2).slice(0, 30)}" is not a finite number`);
      xyzr[k] = v;
    }
    const pa = tok[12] as number;
    const pb = tok[13] as number;
    const parentK = pb - pa === 2 && text.charCodeAt(pa) === 0x2d && text.charCodeAt(pa + 1) === 0x31 ? -1 : readUintKey(text, pa, pb);
    if (parentK === null) throw new FormatError(F, start, `line ${lineNo}: parent "${fieldText(text, tok, 6).slice(0, 30)}" is neither -1 nor a node id`);
    keys.push(idK);
    parentKeys.push(parentK);
    const id = typeof idK === 'number' ? BigInt(idK) : idK;
    const parentId = typeof parentK === 'number' ? BigInt(parentK) : parentK;
    nodes.push({ id, type, x: xyzr[0] as number, y: xyzr[1] as number, z: xyzr[2] as number, radius: xyzr[3] as number, parent: parentId });
    lineStarts.push(start);
    lineNumbers.push(lineNo);
  }
  const skeleton: Skeleton = { nodes, comments, headerJson, mutationId };
  buildIndex(skeleton.nodes, keys, parentKeys, (i) => lineStarts[i] as number, (i) => `line ${lineNumbers[i]}`);
  return skeleton;
}

/** Parent of each node as an index into `nodes` (−1 for roots), after checking ids, parents and cycles. */
export interface SkeletonIndex {
  parentIndex: Int32Array;
  /** node position by id; look up with `skeletonIdKey(id)` */
  byId: Map<number | bigint, number>;
}

export const skeletonIdKey = idKey;

/**
 * Validates a skeleton (unique ids, every parent exists, no cycle) and returns its parent indices.
 * `where(i)` names node i in errors (a line for parsed files, a node position otherwise).
 */
export function indexSkeleton(
  skel: Skeleton,
  offsetOf: (i: number) => number = () => 0,
  where: (i: number) => string = (i) => `node #${i + 1}`,
): SkeletonIndex {
  const keys = skel.nodes.map((n) => idKey(n.id));
  const parentKeys = skel.nodes.map((n) => (n.parent === -1n ? -1 : idKey(n.parent)));
  return buildIndex(skel.nodes, keys, parentKeys, offsetOf, where);
}

function buildIndex(
  nodes: readonly SwcNode[],
  keys: ReadonlyArray<number | bigint>,
  parentKeys: ReadonlyArray<number | bigint>,
  offsetOf: (i: number) => number,
  where: (i: number) => string,
): SkeletonIndex {
  const byId = new Map<number | bigint, number>();
  for (let i = 0; i < nodes.length; i++) {
    const key = keys[i] as number | bigint;
    if (byId.has(key)) throw new FormatError(F, offsetOf(i), `${where(i)}: duplicate node id ${(nodes[i] as SwcNode).id}`);
    byId.set(key, i);
  }
  const parentIndex = new Int32Array(nodes.length);
  for (let i = 0; i < nodes.length; i++) {
    const pk = parentKeys[i] as number | bigint;
    if (pk === -1) {
      parentIndex[i] = -1;
      continue;
    }
    const p = byId.get(pk);
    if (p === undefined) {
      const node = nodes[i] as SwcNode;
      throw new FormatError(F, offsetOf(i), `${where(i)}: parent ${node.parent} of node ${node.id} does not exist`);
    }
    parentIndex[i] = p;
  }
  // Walk up from every node; 1 = on the current path, 2 = known to reach a root.
  const state = new Uint8Array(nodes.length);
  const path: number[] = [];
  for (let s = 0; s < nodes.length; s++) {
    let i = s;
    while (i >= 0 && state[i] === 0) {
      state[i] = 1;
      path.push(i);
      i = parentIndex[i] as number;
    }
    if (i >= 0 && state[i] === 1) throw new FormatError(F, offsetOf(i), `${where(i)}: node ${(nodes[i] as SwcNode).id} is on a parent cycle`);
    for (const k of path) state[k] = 2;
    path.length = 0;
  }
  return { parentIndex, byId };
}

function formatNumber(v: number): string {
  return Object.is(v, -0) ? '0' : String(v);
}

/**
 * Text with comments first, then the `#${...}` JSON header lines (the one holding "mutation id" set
 * from `mutationId`, or a `#${"mutation id": N}` line added), then one line per node, LF line ends.
 */
export function writeSwc(skel: Skeleton): string {
  const out: string[] = [];
  for (const c of skel.comments) out.push(`#${c.replace(/[\r\n]+/g, ' ')}`);
  let wroteMutation = false;
  for (const obj of skel.headerJson) {
    if (MUTATION_KEY in obj) {
      if (skel.mutationId === null || wroteMutation) {
        const rest = { ...obj };
        delete rest[MUTATION_KEY];
        if (Object.keys(rest).length > 0) out.push(`#$${stringifyJsonLossless(rest)}`);
        continue;
      }
      out.push(`#$${stringifyJsonLossless({ ...obj, [MUTATION_KEY]: skel.mutationId })}`);
      wroteMutation = true;
    } else {
      out.push(`#$${stringifyJsonLossless(obj)}`);
    }
  }
  if (skel.mutationId !== null && !wroteMutation) out.push(`#$${stringifyJsonLossless({ [MUTATION_KEY]: skel.mutationId })}`);
  for (const nd of skel.nodes) {
    out.push(`${nd.id} ${nd.type} ${formatNumber(nd.x)} ${formatNumber(nd.y)} ${formatNumber(nd.z)} ${formatNumber(nd.radius)} ${nd.parent < 0n ? '-1' : nd.parent}`);
  }
  return out.join('\n') + '\n';
}

export interface SwcStats {
  nodes: number;
  roots: number;
  /** connected components of the parent graph (equals `roots` for a valid forest; computed independently) */
  components: number;
  /** sum of node-to-parent distances, in file units */
  cableLength: number;
  bounds: { min: [number, number, number]; max: [number, number, number] } | null;
  /** nodes of type 1 */
  somaNodes: number;
  /** node count per type */
  types: Record<string, number>;
  mutationId: bigint | null;
}

/** The facts `dvid-desk inspect` prints for a skeleton. O(nodes). */
export function swcStats(skel: Skeleton, index: SkeletonIndex = indexSkeleton(skel)): SwcStats {
  const { parentIndex } = index;
  const nodes = skel.nodes;
  // Union-find over parent edges.
  const up = new Int32Array(nodes.length);
  for (let i = 0; i < up.length; i++) up[i] = i;
  const find = (a: number): number => {
    while (up[a] !== a) {
      const next = up[up[a] as number] as number;
      up[a] = next;
      a = next;
    }
    return a;
  };
  let components = nodes.length;
  let roots = 0;
  let cable = 0;
  let soma = 0;
  const types: Record<string, number> = {};
  const min: [number, number, number] = [Infinity, Infinity, Infinity];
  const max: [number, number, number] = [-Infinity, -Infinity, -Infinity];
  nodes.forEach((nd, i) => {
    types[nd.type] = (types[nd.type] ?? 0) + 1;
    if (nd.type === 1) soma++;
    const xyz = [nd.x, nd.y, nd.z];
    for (let a = 0; a < 3; a++) {
      if ((xyz[a] as number) < min[a]!) min[a] = xyz[a] as number;
      if ((xyz[a] as number) > max[a]!) max[a] = xyz[a] as number;
    }
    const p = parentIndex[i] as number;
    if (p < 0) {
      roots++;
      return;
    }
    const pn = nodes[p] as SwcNode;
    cable += Math.hypot(nd.x - pn.x, nd.y - pn.y, nd.z - pn.z);
    const a = find(i);
    const b = find(p);
    if (a !== b) {
      up[a] = b;
      components--;
    }
  });
  return {
    nodes: nodes.length,
    roots,
    components,
    cableLength: cable,
    bounds: nodes.length > 0 ? { min, max } : null,
    somaNodes: soma,
    types,
    mutationId: skel.mutationId,
  };
}
