/**
 * The repo's two versions and what happened between them.
 *
 * Root node (VersionID 1, locked): the segmentation as agglomerated, with two errors a proofreader
 * would fix. Neuron A is falsely split: one of its subtrees is a separate body B. Neuron C is
 * falsely merged: one of its subtrees belongs elsewhere.
 *
 * Child node (VersionID 2, open, the master leaf): a merge (B into A) and then a cleave (C's subtree
 * into a new body, numbered MaxRepoLabel+1 as DVID's newLabel does) happened there. They show in
 * /mutations, /lastmod, the mapping (so in body-label blocks, never in supervoxel blocks), the label
 * indices of the synced annotations and labelsz, and the meshes, skeletons and body annotations the
 * proofreading tools rewrote.
 */
import { subtree, type Morphology } from './neurons';
import type { Rng } from './prng';
import type { SplitPlan, Supervoxels } from './supervoxels';
import { goTimeJson, goTimeString, rfc3339, type Instant } from './time';

export interface LastMod {
  mutid: number;
  user: string;
  app: string;
  time: string;
}

export interface NodeMeta {
  uuid: string;
  versionId: number;
  locked: boolean;
  branch: string;
  note: string;
  log: string[];
  parents: number[];
  children: number[];
  created: string;
  updated: string;
}

export interface VersionData {
  node: NodeMeta;
  /** Body id of each supervoxel index at this node. */
  mapping: BigUint64Array;
  /** lastmod of every body at this node, keyed by decimal body id. */
  lastmod: Record<string, LastMod>;
  maxLabel: bigint;
  /** Completed-mutation records of `segmentation` in this node (JSON texts, as DVID logs them). */
  mutations: string[];
}

export interface StoryIds {
  /** merge target (neuron A), the merged piece (B) */
  mergeTarget: bigint;
  mergedPiece: bigint;
  /** cleaved body (C) and the new body */
  cleaveOrig: bigint;
  cleaveNew: bigint;
  cleavedSvs: bigint[];
  /** the neuron with ids above 2^53 */
  bigBody: bigint;
  mergeMutid: number;
  cleaveMutid: number;
  mergeUser: string;
  cleaveUser: string;
  mergeTime: Instant;
  cleaveTime: Instant;
}

export interface RepoMeta {
  root: string;
  alias: string;
  description: string;
  log: string[];
  created: string;
  updated: string;
  /** The last MutationID handed out (the served repo MutationID is the next one: info.ts). */
  mutationId: number;
  savedMutationId: number;
  /** DataUUID of every instance, by name. */
  dataUuids: Record<string, string>;
}

export const PROOFREADERS = ['hartleyk', 'moralesj', 'okaforn', 'lindqvista', 'tanakay', 'mercerb', 'duboisc', 'patelr', 'nguyenh', 'schmidtf'];
export const APPS = ['neu3', 'NeuTu', 'neuclease'];

/** Body id of each supervoxel group: the id of the group's first node's supervoxel. */
function rootMapping(morph: Morphology, svs: Supervoxels, plan: SplitPlan): { mapping: BigUint64Array; pieceSvs: Set<number>; cleaveSvs: Set<number> } {
  const mapping = new BigUint64Array(svs.ids.length);
  const pieceNodes = new Set(subtree(morph.bodies[plan.mergeShape]!.nodes, plan.mergeSubtreeRoot));
  const cleaveNodes = new Set(subtree(morph.bodies[plan.cleaveShape]!.nodes, plan.cleaveSubtreeRoot));
  const pieceSvs = new Set<number>();
  const cleaveSvs = new Set<number>();
  morph.bodies[plan.mergeShape]!.nodes.forEach((n, i) => pieceNodes.has(i) && pieceSvs.add(n.sv));
  morph.bodies[plan.cleaveShape]!.nodes.forEach((n, i) => cleaveNodes.has(i) && cleaveSvs.add(n.sv));
  const shapeBody = morph.bodies.map((b) => svs.ids[b.nodes[0]!.sv]!);
  const pieceBody = svs.ids[morph.bodies[plan.mergeShape]!.nodes[plan.mergeSubtreeRoot]!.sv]!;
  for (let i = 1; i < svs.ids.length; i++) {
    const shape = svs.shape[i]!;
    mapping[i] = shape === plan.mergeShape && pieceSvs.has(i) ? pieceBody : shapeBody[shape]!;
  }
  return { mapping, pieceSvs, cleaveSvs };
}

export function buildVersions(
  rng: Rng,
  morph: Morphology,
  svs: Supervoxels,
  plan: SplitPlan,
  svVoxels: Float64Array,
  instanceNames: readonly string[],
): { root: VersionData; child: VersionData; story: StoryIds; repo: RepoMeta } {
  const { mapping: rootMap, pieceSvs, cleaveSvs } = rootMapping(morph, svs, plan);
  const maxRoot = svs.ids[svs.ids.length - 1]!;
  const A = rootMap[morph.bodies[plan.mergeShape]!.nodes[0]!.sv]!;
  const Bp = rootMap[[...pieceSvs][0]!]!;
  const C = rootMap[morph.bodies[plan.cleaveShape]!.nodes[0]!.sv]!;
  const Cnew = maxRoot + 1n;
  const childMap = rootMap.slice();
  for (const sv of pieceSvs) childMap[sv] = A;
  for (const sv of cleaveSvs) childMap[sv] = Cnew;

  // Timeline (US Eastern): repo created mid-2019, root committed January 2020, proofreading in February.
  const t = (iso: string, jitterMin: number): Instant => ({ ms: Date.parse(iso) + Math.floor(rng.float() * jitterMin * 60_000), ns: rng.int(0, 999_999) });
  const repoCreated = t('2019-06-03T13:00:00Z', 600);
  const rootUpdated = t('2020-01-17T20:00:00Z', 300);
  const childCreated = t('2020-01-20T14:00:00Z', 60);
  const mergeTime = t('2020-02-03T15:00:00Z', 240);
  const cleaveTime: Instant = { ms: mergeTime.ms + rng.int(60_000, 3_600_000), ns: rng.int(0, 999_999) };

  const rootUuid = rng.uuid();
  let childUuid = rng.uuid();
  // Same first character as the root: a one-character prefix is ambiguous, as happens on real servers.
  childUuid = rootUuid[0]! + childUuid.slice(1);
  if (childUuid.slice(0, 2) === rootUuid.slice(0, 2)) childUuid = rootUuid[0]! + ((parseInt(rootUuid[1]!, 16) + 1) % 16).toString(16) + childUuid.slice(2);

  const baseMut = 1_000_000_000 + rng.int(10_000, 90_000);
  const rootMutationId = baseMut + rng.int(1000, 9000);
  const mergeMutid = rootMutationId + 1;
  const cleaveMutid = rootMutationId + 2;
  const mergeUser = rng.pick(PROOFREADERS), cleaveUser = rng.pick(PROOFREADERS);

  // lastmod at the root: neurons were proofread before; orphans never were (empty label-index fields).
  const rootLast: Record<string, LastMod> = {};
  const seen = new Set<bigint>();
  for (let i = 1; i < rootMap.length; i++) {
    const body = rootMap[i]!;
    if (seen.has(body)) continue;
    seen.add(body);
    const shape = morph.bodies[svs.shape[i]!]!;
    if (shape.kind === 'neuron') {
      const when: Instant = { ms: repoCreated.ms + Math.floor(rng.float() * (rootUpdated.ms - repoCreated.ms)), ns: 0 };
      rootLast[body.toString()] = { mutid: rng.int(baseMut, rootMutationId), user: rng.pick(PROOFREADERS), app: rng.pick(APPS), time: rfc3339(when) };
    } else {
      rootLast[body.toString()] = { mutid: 0, user: '', app: '', time: '' };
    }
  }
  const childLast: Record<string, LastMod> = { ...rootLast };
  delete childLast[Bp.toString()];
  childLast[A.toString()] = { mutid: mergeMutid, user: mergeUser, app: 'neu3', time: rfc3339(mergeTime) };
  childLast[C.toString()] = { mutid: cleaveMutid, user: cleaveUser, app: 'neu3', time: rfc3339(cleaveTime) };
  childLast[Cnew.toString()] = { mutid: cleaveMutid, user: cleaveUser, app: 'neu3', time: rfc3339(cleaveTime) };

  let cleavedSize = 0, remainSize = 0;
  for (let i = 1; i < rootMap.length; i++) {
    if (rootMap[i] !== C) continue;
    if (cleaveSvs.has(i)) cleavedSize += svVoxels[i]!;
    else remainSize += svVoxels[i]!;
  }
  const cleavedSvIds = [...cleaveSvs].toSorted((a, b) => a - b).map((i) => svs.ids[i]!);
  const monotonic = (x: Instant): number => (x.ms - childCreated.ms) / 1000 + 3605.25;
  // Go marshals map[string]interface{} with sorted keys.
  const mergeRecord =
    `{"Action":"merge-complete","App":"neu3","Labels":[${Bp}],"MutationID":${mergeMutid},"Target":${A},` +
    `"Timestamp":${JSON.stringify(goTimeString(mergeTime, monotonic(mergeTime)))},"UUID":"${childUuid}","User":${JSON.stringify(mergeUser)}}`;
  const cleaveRecord =
    `{"Action":"cleave-complete","App":"neu3","CleavedLabel":${Cnew},"CleavedSize":${cleavedSize},"CleavedSupervoxels":[${cleavedSvIds.join(',')}],` +
    `"MutationID":${cleaveMutid},"OrigLabel":${C},"RemainSize":${remainSize},"Timestamp":${JSON.stringify(goTimeString(cleaveTime, monotonic(cleaveTime)))},` +
    `"UUID":"${childUuid}","User":${JSON.stringify(cleaveUser)}}`;

  const rootNode: NodeMeta = {
    uuid: rootUuid,
    versionId: 1,
    locked: true,
    branch: '',
    note: 'agglomeration v1.0 + proofreading through 2020-01-17',
    log: [`${goTimeJson(rootUpdated).slice(0, 19).replace('T', ' ')}  committed for release`],
    parents: [],
    children: [2],
    created: goTimeJson(repoCreated),
    updated: goTimeJson(rootUpdated),
  };
  const childNode: NodeMeta = {
    uuid: childUuid,
    versionId: 2,
    locked: false,
    branch: '',
    note: 'open for proofreading',
    log: [],
    parents: [1],
    children: [],
    created: goTimeJson(childCreated),
    updated: goTimeJson(cleaveTime),
  };
  const dataUuids: Record<string, string> = {};
  for (const name of instanceNames) dataUuids[name] = rng.uuid();
  const repo: RepoMeta = {
    root: rootUuid,
    alias: 'hemibrain-demo',
    description: 'DVID Desk demo: a seeded miniature hemibrain (synthetic data)',
    log: [`${goTimeJson(repoCreated).slice(0, 19).replace('T', ' ')}  repo created`],
    created: goTimeJson(repoCreated),
    updated: goTimeJson(cleaveTime),
    mutationId: cleaveMutid,
    savedMutationId: Math.ceil((cleaveMutid + 1) / 100_000) * 100_000 + 100_000,
    dataUuids,
  };
  const bigBody = rootMap[morph.bodies[plan.bigShape]!.nodes[0]!.sv]!;
  return {
    root: { node: rootNode, mapping: rootMap, lastmod: rootLast, maxLabel: maxRoot, mutations: [] },
    child: { node: childNode, mapping: childMap, lastmod: childLast, maxLabel: Cnew, mutations: [mergeRecord, cleaveRecord] },
    story: {
      mergeTarget: A,
      mergedPiece: Bp,
      cleaveOrig: C,
      cleaveNew: Cnew,
      cleavedSvs: cleavedSvIds,
      bigBody,
      mergeMutid,
      cleaveMutid,
      mergeUser,
      cleaveUser,
      mergeTime,
      cleaveTime,
    },
    repo,
  };
}
