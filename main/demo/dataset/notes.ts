/**
 * Bookmarks (`bookmark_annotations`) and to-dos (`segmentation_todo`): annotation elements of Kind
 * "Note" with the props NeuTu writes, so review has something to review.
 *
 * Bookmark props (NeuTu ZFlyEmBookmark): "body ID", "time", "status", "comment", "type"
 * ("Other" | "Split" | "Merge"), "user", "custom" ("1" for user bookmarks), "checked" ("1" when
 * checked); tags "user:<name>" (left out on some, which DVID then returns as "Tags": null).
 * To-do props (NeuTu ZFlyEmToDoItem, neuclease's list): "action", "checked", "comment", "priority",
 * "user", "createdTime", "modifiedTime", "checkedTime"; tags "action:merge" / "action:split" on
 * unchecked merge and split to-dos.
 *
 * Two bookmarks and two to-dos point at the root node's errors: the falsely split piece ("Merge")
 * and the falsely merged subtree ("Split").
 */
import { subtree, type Morphology } from './neurons';
import type { Labeller } from './labeller';
import type { Rng } from './prng';
import type { SplitPlan, Supervoxels } from './supervoxels';
import { PROOFREADERS } from './versions';

export interface NoteElement {
  pos: [number, number, number];
  /** null = never set (DVID answers "Tags": null) */
  tags: string[] | null;
  prop: Record<string, string>;
  /** supervoxel index under the note */
  sv: number;
}

const pad = (n: number): string => String(n).padStart(2, '0');
function neutuTime(rng: Rng): string {
  // NeuTu's short local format, e.g. "2019-11-04 16:21".
  const d = new Date(Date.UTC(2019, rng.int(6, 11), rng.int(1, 28), rng.int(8, 19), rng.int(0, 59)));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export function makeNotes(
  rng: Rng,
  morph: Morphology,
  svs: Supervoxels,
  rootMapping: BigUint64Array,
  plan: SplitPlan,
  labeller: Labeller,
): { bookmarks: NoteElement[]; todos: NoteElement[] } {
  const usedB = new Set<string>();
  const usedT = new Set<string>();
  const neurons = morph.bodies.map((b, i) => (b.kind === 'neuron' ? i : -1)).filter((i) => i >= 0);
  /** A voxel on a node of `shape` (within `nodes` when given) that lies in that shape's voxels. */
  const spot = (shape: number, used: Set<string>, nodes?: number[]): { pos: [number, number, number]; body: bigint; sv: number } | null => {
    const b = morph.bodies[shape]!;
    for (let attempt = 0; attempt < 20; attempt++) {
      const ni = nodes ? rng.pick(nodes) : rng.int(0, b.nodes.length - 1);
      const p = b.nodes[ni]!.pos;
      const v: [number, number, number] = [Math.floor(p[0]), Math.floor(p[1]), Math.floor(p[2])];
      const key = v.join(',');
      if (used.has(key)) continue;
      const l = labeller.labelAt(v[0], v[1], v[2]);
      if (l.sv === 0 || svs.shape[l.sv] !== shape) continue;
      used.add(key);
      return { pos: v, body: rootMapping[l.sv]!, sv: l.sv };
    }
    return null;
  };

  const bookmarks: NoteElement[] = [];
  const addBookmark = (at: { pos: [number, number, number]; body: bigint; sv: number }, type: string, comment: string): void => {
    const user = rng.pick(PROOFREADERS);
    const prop: Record<string, string> = { 'body ID': at.body.toString(), comment, custom: '1', status: '', time: neutuTime(rng), type, user };
    if (rng.chance(0.2)) prop.checked = '1';
    bookmarks.push({ pos: at.pos, tags: rng.chance(0.8) ? [`user:${user}`] : null, prop, sv: at.sv });
  };
  const piece = subtree(morph.bodies[plan.mergeShape]!.nodes, plan.mergeSubtreeRoot);
  const cut = subtree(morph.bodies[plan.cleaveShape]!.nodes, plan.cleaveSubtreeRoot);
  const mergeSpot = spot(plan.mergeShape, usedB, piece);
  if (mergeSpot) addBookmark(mergeSpot, 'Merge', 'false split: this piece belongs to the neuron next to it');
  const splitSpot = spot(plan.cleaveShape, usedB, cut);
  if (splitSpot) addBookmark(splitSpot, 'Split', 'false merge: branch from another cell');
  for (let i = 0; i < neurons.length * 2; i++) {
    const at = spot(rng.pick(neurons), usedB);
    if (!at) continue;
    const [type, comment] = rng.pick([
      ['Other', 'check this branch'],
      ['Other', 'nice synapse cluster'],
      ['Other', ''],
      ['Split', 'possible false merge'],
      ['Merge', 'continues past the hot-knife seam?'],
    ] as const);
    addBookmark(at, type, comment);
  }

  const todos: NoteElement[] = [];
  const addTodo = (at: { pos: [number, number, number]; sv: number }, action: string, tag: string | null, comment: string): void => {
    const user = rng.pick(PROOFREADERS);
    const checked = rng.chance(0.25);
    const created = neutuTime(rng);
    const prop: Record<string, string> = { action, checked: checked ? '1' : '0', comment, createdTime: created, modifiedTime: created, priority: String(rng.int(1, 5)), user };
    if (checked) prop.checkedTime = neutuTime(rng);
    const tags = [`user:${user}`];
    if (!checked && tag) tags.push(`action:${tag}`);
    todos.push({ pos: at.pos, tags: rng.chance(0.85) ? tags : null, prop, sv: at.sv });
  };
  const mergeTodo = spot(plan.mergeShape, usedT, piece);
  if (mergeTodo) addTodo(mergeTodo, 'to merge', 'merge', 'merge with the neuron it came from');
  const splitTodo = spot(plan.cleaveShape, usedT, cut);
  if (splitTodo) addTodo(splitTodo, 'to split', 'split', 'cleave this branch off');
  for (let i = 0; i < Math.round(neurons.length * 1.5); i++) {
    const at = spot(rng.pick(neurons), usedT);
    if (!at) continue;
    const [action, tag, comment] = rng.pick([
      ['normal', null, 'look here'],
      ['to merge', 'merge', ''],
      ['to split', 'split', 'two cells?'],
      ['irrelevant', 'irrelevant', ''],
      ['trace to soma', null, 'soma may be outside'],
      ['no soma', null, ''],
    ] as const);
    addTodo(at, action, tag, comment);
  }
  return { bookmarks, todos };
}
