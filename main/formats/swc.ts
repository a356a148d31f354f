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
export const SWC_MAX_CHARS = 1 << 29;

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
const FLOAT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const UINT = /^\d+$/;
const INT = /^[+-]?\d+$/;

function toBigInt(s: string): bigint {
  return s.length <= 15 ? BigInt(Number(s)) : BigInt(s);
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
    const line = text.slice(start, end).trim();
    if (line === '') continue;
    if (line.charCodeAt(0) === 0x23 /* # */) {
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
    const f = line.split(/[ \t]+/);
    if (f.length !== 7) throw new FormatError(F, start, `line ${lineNo}: ${f.length} fields, expected 7 (id type x y z radius parent)`);
    const [id, type, x, y, z, r, parent] = f as [string, string, string, string, string, string, string];
    if (!UINT.test(id)) throw new FormatError(F, start, `line ${lineNo}: id "${id.slice(0, 30)}" is not a non-negative integer`);
    if (!INT.test(type) || !Number.isSafeInteger(Number(type))) throw new FormatError(F, start, `line ${lineNo}: type "${type.slice(0, 30)}" is not an integer`);
    for (const [name, v] of [['x', x], ['y', y], ['z', z], ['radius', r]] as const) {
      if (!FLOAT.test(v) || !Number.isFinite(Number(v))) throw new FormatError(F, start, `line ${lineNo}: ${name} "${v.slice(0, 30)}" is not a finite number`);
    }
    let parentId: bigint;
    if (parent === '-1') parentId = -1n;
    else if (UINT.test(parent)) parentId = toBigInt(parent);
    else throw new FormatError(F, start, `line ${lineNo}: parent "${parent.slice(0, 30)}" is neither -1 nor a node id`);
    nodes.push({ id: toBigInt(id), type: Number(type), x: Number(x), y: Number(y), z: Number(z), radius: Number(r), parent: parentId });
    lineStarts.push(start);
    lineNumbers.push(lineNo);
  }
  const skeleton: Skeleton = { nodes, comments, headerJson, mutationId };
  indexSkeleton(skeleton, (i) => lineStarts[i] as number, (i) => `line ${lineNumbers[i]}`);
  return skeleton;
}

/** Parent of each node as an index into `nodes` (−1 for roots), after checking ids, parents and cycles. */
export interface SkeletonIndex {
  parentIndex: Int32Array;
  byId: Map<bigint, number>;
}

/**
 * Validates a skeleton (unique ids, every parent exists, no cycle) and returns its parent indices.
 * `where(i)` names node i in errors (a line for parsed files, a node position otherwise).
 */
export function indexSkeleton(
  skel: Skeleton,
  offsetOf: (i: number) => number = () => 0,
  where: (i: number) => string = (i) => `node #${i + 1}`,
): SkeletonIndex {
  const { nodes } = skel;
  const byId = new Map<bigint, number>();
  nodes.forEach((node, i) => {
    if (byId.has(node.id)) throw new FormatError(F, offsetOf(i), `${where(i)}: duplicate node id ${node.id}`);
    byId.set(node.id, i);
  });
  const parentIndex = new Int32Array(nodes.length);
  nodes.forEach((node, i) => {
    if (node.parent === -1n) {
      parentIndex[i] = -1;
      return;
    }
    const p = byId.get(node.parent);
    if (p === undefined) throw new FormatError(F, offsetOf(i), `${where(i)}: parent ${node.parent} of node ${node.id} does not exist`);
    parentIndex[i] = p;
  });
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
export function swcStats(skel: Skeleton): SwcStats {
  const { parentIndex } = indexSkeleton(skel);
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
