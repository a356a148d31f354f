/**
 * ROI names, hierarchy and primary flags. The demo (and NeuTu-style datasets) keep them in the
 * keyvalue instance `roi_data`:
 *   - key `roiHierarchy`: JSON tree `{"name": "hemibrain", "children": [{"name": "CX", "children": […]}, …]}`
 *   - key `primaryRois`:  JSON array of the primary ROI names (they do not overlap; neuPrint's totals)
 * Without `roi_data` (or with values that do not parse) the list is flat and every ROI is primary.
 * A parent is the nearest ancestor in the tree that is itself a synced ROI; the tree's root (the
 * dataset) is not an ROI.
 */

export interface RoiMetaInput {
  instanceId: number;
  name: string;
}

export interface RoiMeta extends RoiMetaInput {
  parent: string | null;
  primary: boolean;
  /** Display order: the tree's depth-first order when known, else by name. */
  ord: number;
}

interface TreeNode {
  name?: unknown;
  children?: unknown;
}

function parseJson(text: string | null): unknown {
  if (text === null) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Depth-first walk of a hierarchy value: [name, parent name or null] in visit order. Ignores malformed nodes. */
function walk(tree: unknown): Array<[string, string | null]> {
  const out: Array<[string, string | null]> = [];
  const visit = (node: unknown, parent: string | null, depth: number) => {
    if (depth > 64 || node === null || typeof node !== 'object') return;
    const n = node as TreeNode;
    const name = typeof n.name === 'string' ? n.name : null;
    if (name !== null) out.push([name, parent]);
    if (Array.isArray(n.children)) for (const c of n.children) visit(c, name ?? parent, depth + 1);
  };
  visit(tree, null, 0);
  return out;
}

export function roiMeta(rois: readonly RoiMetaInput[], hierarchyText: string | null, primaryText: string | null): RoiMeta[] {
  const names = new Set(rois.map((r) => r.name));
  const primaryList = parseJson(primaryText);
  const primary = Array.isArray(primaryList) && primaryList.every((x) => typeof x === 'string') ? new Set(primaryList as string[]) : null;

  const parentOf = new Map<string, string | null>();
  const order = new Map<string, number>();
  const visited = walk(parseJson(hierarchyText));
  if (visited.length > 0) {
    const treeParent = new Map<string, string | null>();
    for (const [name, parent] of visited) if (!treeParent.has(name)) treeParent.set(name, parent);
    for (const [name] of visited) {
      if (!names.has(name) || order.has(name)) continue;
      order.set(name, order.size);
      // Nearest ancestor that is a synced ROI (guard against cycles in a hand-written tree).
      let p = treeParent.get(name) ?? null;
      const seen = new Set<string>([name]);
      while (p !== null && !names.has(p) && !seen.has(p)) {
        seen.add(p);
        p = treeParent.get(p) ?? null;
      }
      parentOf.set(name, p !== null && names.has(p) && p !== name ? p : null);
    }
  }
  const byName = rois.toSorted((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const rest = byName.filter((r) => !order.has(r.name));
  rest.forEach((r) => order.set(r.name, order.size));
  return byName
    .map((r) => ({ ...r, parent: parentOf.get(r.name) ?? null, primary: primary ? primary.has(r.name) : true, ord: order.get(r.name)! }))
    .toSorted((a, b) => a.ord - b.ord);
}
