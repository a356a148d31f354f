/**
 * Which bodies of a multi-body 3D view get their mesh and which fall back to their skeleton, under a
 * triangle budget: in the order given (the focused body first, then search or partner order), a
 * body's mesh is shown while the running total stays within the budget; every later body with a
 * skeleton is drawn as one instead, the rest as what they have. One body alone always gets its mesh.
 */

export type DrawMode = 'mesh' | 'skeleton' | 'none';

export interface BudgetItem {
  bodyId: string;
  /** null: no mesh cached */
  triangles: number | null;
  hasSkeleton: boolean;
}

export interface BudgetPlan {
  modes: Map<string, DrawMode>;
  meshTriangles: number;
  /** bodies that have a mesh but are drawn as skeletons (or not at all) because of the budget */
  overBudget: string[];
}

export function planBudget(items: readonly BudgetItem[], budget: number): BudgetPlan {
  const modes = new Map<string, DrawMode>();
  const overBudget: string[] = [];
  let used = 0;
  let full = false;
  items.forEach((it, i) => {
    if (it.triangles !== null && !full && (used + it.triangles <= budget || i === 0)) {
      used += it.triangles;
      modes.set(it.bodyId, 'mesh');
      return;
    }
    if (it.triangles !== null) {
      // Once a mesh did not fit, later (lower-ranked) bodies do not jump the queue with smaller meshes.
      full = true;
      overBudget.push(it.bodyId);
    }
    modes.set(it.bodyId, it.hasSkeleton ? 'skeleton' : 'none');
  });
  return { modes, meshTriangles: used, overBudget };
}

export const BUDGETS = [50_000, 250_000, 1_000_000, 3_000_000, 10_000_000] as const;
export const DEFAULT_BUDGET = 3_000_000;

export function formatCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1).replace(/\.0$/, '')} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(n >= 1e4 ? 0 : 1).replace(/\.0$/, '')} k`;
  return String(n);
}
