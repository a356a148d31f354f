/**
 * Generates a whole dataset from its parameters and writes it into a directory (the cache format of
 * store.ts). Deterministic: the same parameters give the same files, byte for byte.
 *
 * Cost in CPU time (the voxel pass, ≈ 85 % of it, runs on one worker thread per core): small ≈ 15 s,
 * default ≈ 110 s, --size 2048 ≈ 25 min and 4.6 GB; main/demo/README.md has the measured figures.
 */
import { createHash } from 'node:crypto';
import { blocksToSpans } from '../../formats/roi-spans';
import { annotationThreshold, editAnnotation, nameNeuron, neuronAnnotation, orphanAnnotation } from './body-annotations';
import { instanceDefs } from './instances';
import { Labeller } from './labeller';
import { bodyMeshes, roiMesh } from './meshes';
import { placeMitochondria } from './mito';
import { MorphologyBuilder, type Morphology } from './neurons';
import { makeNotes } from './notes';
import { SHAPE, BLOCK_SIZE, ROI_BLOCK_SIZE, GENERATOR_VERSION, type DatasetParams } from './presets';
import { Rng } from './prng';
import { layoutRois } from './rois';
import { bodySkeleton } from './skeletons';
import { writeDataset, type GeneratedDataset, type KvChanges } from './store';
import { assignSupervoxels } from './supervoxels';
import { placeSynapses } from './synapses';
import { buildVersions, type VersionData } from './versions';
import { runVolume } from './volume-parallel';
import { goTimeString } from './time';

export type Progress = (stage: string, fraction?: number) => void;

const enc = new TextEncoder();

export interface GenerateOptions {
  onProgress?: Progress;
  /** Worker threads for the voxel pass (default: one per core; 0 = this thread only). */
  threads?: number;
}

export async function generateDataset(params: DatasetParams, dir: string, opts: GenerateOptions = {}): Promise<{ stats: Record<string, number> }> {
  const onProgress = opts.onProgress ?? (() => {});
  const t0 = performance.now();
  const stats: Record<string, number> = {};
  const mark = (name: string, since: number): number => {
    const now = performance.now();
    stats[`${name}Ms`] = Math.round(now - since);
    return now;
  };
  const rng = new Rng(params.seed);
  const size = params.size;
  const volume = size ** 3;

  onProgress('growing neurons');
  const builder = new MorphologyBuilder(size);
  builder.addTracheae(rng.fork('tracheae'), SHAPE.tracheae);
  builder.growNeurons(rng.fork('neurons'), params.neurons, (SHAPE.cablePerVoxel * volume * 0.85) / params.neurons);
  onProgress('filling voids with orphan fragments');
  builder.fillOrphans(rng.fork('orphans'), Math.cbrt(SHAPE.orphanProbeVoxels), SHAPE.orphanVoid);
  builder.fillDust(rng.fork('dust'), Math.round((params.dustPerBlock * volume * 0.45) / BLOCK_SIZE ** 3));
  const morph: Morphology = builder.finish();
  let t = mark('morphology', t0);

  const { svs, plan } = assignSupervoxels(rng.fork('supervoxels'), morph);
  const somaList = morph.bodies.filter((b) => b.somaPrim >= 0).map((b) => ({ prim: b.somaPrim, u: b.somaAxes![0], v: b.somaAxes![1], svs: b.somaSvs }));
  const labeller = new Labeller(morph.prims, new Map(somaList.map((s) => [s.prim, s])), BLOCK_SIZE);
  const roiLayout = layoutRois(rng.fork('rois'), size, morph.brain);
  const mito = placeMitochondria(rng.fork('mito'), morph);
  let mitoCount = 0;
  for (let i = 0; i < mito.count; i++) mitoCount = Math.max(mitoCount, mito.body[i]!);
  t = mark('layout', t);

  onProgress('labelling blocks', 0);
  const vol = await runVolume(
    {
      size,
      prims: morph.prims.toArrays(),
      somas: somaList,
      mito: mito.toArrays(),
      svLabels: svs.ids,
      roiGrid: { grid: roiLayout.grid, cellLabel: roiLayout.cellLabel },
      roiLabels: BigUint64Array.from({ length: 64 }, (_, i) => BigInt(i)),
      mitoLabels: BigUint64Array.from({ length: mitoCount + 1 }, (_, i) => BigInt(i)),
      classLabels: BigUint64Array.from([0n, 1n, 2n, 3n, 4n]),
    },
    { threads: opts.threads, onProgress: (done, total) => done % 64 === 0 && onProgress('labelling blocks', done / total) },
  );
  t = mark('volume', t);

  // Voxel counts per supervoxel from the label index.
  const svVoxels = new Float64Array(svs.ids.length);
  const idx = vol.segmentation.index;
  for (let i = 0; i < idx.label.length; i++) svVoxels[idx.label[i]!]! += idx.count[i]!;

  const instanceNames = instanceDefs(roiLayout.rois.map((r) => r.name)).map((d) => d.name);
  const { root, child, story, repo } = buildVersions(rng.fork('versions'), morph, svs, plan, svVoxels, instanceNames);

  onProgress('placing synapses');
  const synapses = placeSynapses(rng.fork('synapses'), morph, svs, labeller, params.tbarPerVoxel);
  const notes = makeNotes(rng.fork('notes'), morph, svs, root.mapping, plan, labeller);
  t = mark('annotations', t);

  // Bodies by kind, at each version.
  const bodyVoxels = (v: VersionData): Map<bigint, number> => {
    const m = new Map<bigint, number>();
    for (let i = 1; i < v.mapping.length; i++) m.set(v.mapping[i]!, (m.get(v.mapping[i]!) ?? 0) + svVoxels[i]!);
    return m;
  };
  const neuronBodies = (v: VersionData): bigint[] => {
    const out = new Set<bigint>();
    for (let i = 1; i < v.mapping.length; i++) if (morph.bodies[svs.shape[i]!]!.kind === 'neuron') out.add(v.mapping[i]!);
    return [...out].toSorted((a, b) => (a < b ? -1 : 1));
  };
  const shapesOf = (v: VersionData, body: bigint): number[] => {
    const s = new Set<number>();
    for (let i = 1; i < v.mapping.length; i++) if (v.mapping[i] === body) s.add(svs.shape[i]!);
    return [...s].toSorted((a, b) => a - b);
  };

  onProgress('body annotations, meshes and skeletons');
  // segmentation_annotations
  const ar = rng.fork('body-annotations');
  const rootAnn = new Map<string, Uint8Array>();
  const rootVox = bodyVoxels(root);
  const naming = new Map<number, ReturnType<typeof nameNeuron>>();
  for (const body of neuronBodies(root)) {
    const shape = shapesOf(root, body)[0]!;
    if (!naming.has(shape)) naming.set(shape, nameNeuron(ar));
    const isPiece = body === story.mergedPiece;
    const json = isPiece ? orphanAnnotation(ar, body) : neuronAnnotation(ar, body, naming.get(shape)!);
    rootAnn.set(body.toString(), enc.encode(json));
  }
  let annotatedOrphans = 0;
  const neuronSet = new Set(neuronBodies(root));
  const threshold = annotationThreshold([...rootVox].filter(([b]) => !neuronSet.has(b)).map(([, v]) => v));
  for (const [body, voxels] of rootVox) {
    const key = body.toString();
    if (rootAnn.has(key) || voxels < threshold) continue;
    rootAnn.set(key, enc.encode(orphanAnnotation(ar, body)));
    annotatedOrphans++;
  }
  const dec = new TextDecoder();
  const annChanges: KvChanges = new Map();
  const A = story.mergeTarget.toString(), Bp = story.mergedPiece.toString(), C = story.cleaveOrig.toString(), Cn = story.cleaveNew.toString();
  annChanges.set(A, enc.encode(editAnnotation(dec.decode(rootAnn.get(A)!), { comment: `merged ${Bp} (false split)`, last_modified_by: story.mergeUser })));
  annChanges.set(Bp, null);
  annChanges.set(C, enc.encode(editAnnotation(dec.decode(rootAnn.get(C)!), { comment: `cleaved ${Cn} off (false merge)`, last_modified_by: story.cleaveUser })));
  annChanges.set(Cn, enc.encode(`{"bodyid":${Cn},"status":"Not examined","user":${JSON.stringify(story.cleaveUser)},"comment":"cleaved from ${C}"}`));

  // Meshes and skeletons: every neuron body at the root; the three bodies the child changed.
  const rootNeurons = neuronBodies(root);
  const rootMeshes = bodyMeshes(vol.coarse, vol.coarseEdge, root.mapping, rootNeurons);
  const meshKv = new Map<string, Uint8Array>();
  for (const [id, bytes] of rootMeshes) meshKv.set(`${id}.ngmesh`, bytes);
  const childMeshes = bodyMeshes(vol.coarse, vol.coarseEdge, child.mapping, [story.mergeTarget, story.cleaveOrig, story.cleaveNew]);
  const meshChanges: KvChanges = new Map();
  for (const [id, bytes] of childMeshes) meshChanges.set(`${id}.ngmesh`, bytes);
  meshChanges.set(`${Bp}.ngmesh`, null);
  const inBody = (v: VersionData) => (shape: number, x: number, y: number, z: number, body: bigint): boolean => {
    const l = labeller.labelAt(x, y, z);
    return l.sv !== 0 && svs.shape[l.sv] === shape && v.mapping[l.sv] === body;
  };
  const skelKv = new Map<string, Uint8Array>();
  for (const body of rootNeurons) {
    skelKv.set(`${body}_swc`, enc.encode(bodySkeleton(morph, shapesOf(root, body), root.mapping, body, root.lastmod[body.toString()]!.mutid, inBody(root))));
  }
  const skelChanges: KvChanges = new Map();
  for (const body of [story.mergeTarget, story.cleaveOrig, story.cleaveNew]) {
    skelChanges.set(`${body}_swc`, enc.encode(bodySkeleton(morph, shapesOf(child, body), child.mapping, body, child.lastmod[body.toString()]!.mutid, inBody(child))));
  }
  skelChanges.set(`${Bp}_swc`, null);
  t = mark('bodies', t);

  // ROIs: spans and meshes. roi_data carries the app's convention for the ROI hierarchy (real DVIDs
  // may lack it; the app then shows a flat list): key "roiHierarchy" = neuPrint-style nested
  // {"name", "children"} from "hemibrain" down, key "primaryRois" = the primary ROI names in
  // hemibrain-instances.md note-2 order. Next to it, NeuTu's ROI-mesh convention: rois/<name> =
  // {"->":{"key":<md5>}}, roi_data/<md5> = the mesh, roi_data/<md5>_info = {"format":"ngmesh"}.
  onProgress('ROI meshes');
  const rois = roiLayout.rois.map((r) => ({ name: r.name, primary: r.primary, label: r.label, spans: blocksToSpans(r.blocks) }));
  const smoothKv = new Map<string, Uint8Array>();
  const roisKv = new Map<string, Uint8Array>();
  const roiDataKv = new Map<string, Uint8Array>();
  for (const r of roiLayout.rois) {
    smoothKv.set(r.name, roiMesh(roiLayout.grid, r.blocks, ROI_BLOCK_SIZE, 3));
    const ref = createHash('md5').update(r.name).digest('hex');
    roisKv.set(r.name, enc.encode(`{"->":{"key":"${ref}"}}`));
    roiDataKv.set(ref, roiMesh(roiLayout.grid, r.blocks, ROI_BLOCK_SIZE, 0));
    roiDataKv.set(`${ref}_info`, enc.encode('{"format":"ngmesh"}'));
  }
  roiDataKv.set('roiHierarchy', enc.encode(JSON.stringify(roiLayout.hierarchy)));
  roiDataKv.set('primaryRois', enc.encode(JSON.stringify(roiLayout.rois.filter((r) => r.primary).map((r) => r.name))));

  // bookmarks keyvalue: NeuTu's legacy per-user bookmark lists (ZFlyEmBookmark::toJsonObject).
  const bookmarksKv = new Map<string, Uint8Array>();
  const byUser = new Map<string, string[]>();
  for (const b of notes.bookmarks) {
    const user = b.prop.user!;
    const text = `${b.prop.type === 'Split' ? 'split' : b.prop.type === 'Merge' ? 'merge' : 'other'} <username=${user}>`;
    const entry = `{"body ID":${b.prop['body ID']},"location":[${b.pos.join(',')}],"checked":${b.prop.checked === '1'},"custom":true,"type":${JSON.stringify(b.prop.type)},"text":${JSON.stringify(text)}${b.prop.comment ? `,"comment":${JSON.stringify(b.prop.comment)}` : ''}}`;
    byUser.set(user, [...(byUser.get(user) ?? []), entry]);
  }
  for (const [user, entries] of byUser) bookmarksKv.set(user, enc.encode(`[${entries.join(',')}]`));

  // The keyvalue mutation log of the child node, one record per write, in write order.
  const kvLog = new Map<string, string[]>();
  let clock = story.mergeTime.ms + 20_000;
  const logWrites = (name: string, changes: KvChanges): void => {
    const out: string[] = [];
    for (const [key, value] of changes) {
      clock += 1500;
      const ts = JSON.stringify(goTimeString({ ms: clock, ns: 0 }, (clock - story.mergeTime.ms) / 1000 + 3700.5));
      out.push(
        value === null
          ? `{"Action":"delete","Key":${JSON.stringify(key)},"Timestamp":${ts},"UUID":"${child.node.uuid}"}`
          : `{"Action":"postkv","Bytes":${value.length},"Key":${JSON.stringify(key)},"Timestamp":${ts},"UUID":"${child.node.uuid}"}`,
      );
    }
    kvLog.set(name, out);
  };
  logWrites('segmentation_annotations', annChanges);
  logWrites('segmentation_meshes', meshChanges);
  logWrites('segmentation_skeletons', skelChanges);
  t = mark('rois', t);

  const ds: GeneratedDataset = {
    params,
    generatorVersion: GENERATOR_VERSION,
    repo,
    versions: [root, child],
    story,
    svIds: svs.ids,
    svShape: svs.shape,
    svKind: Uint8Array.from(svs.shape, (s) => (s < 0 ? 0 : morph.bodies[s]!.kind === 'neuron' ? 1 : 2)),
    volume: vol,
    synapses,
    notes,
    rois,
    roiHierarchy: roiLayout.hierarchy,
    keyvalues: {
      bookmarks: { root: bookmarksKv, child: new Map(), log: [] },
      roi_data: { root: roiDataKv, child: new Map(), log: [] },
      rois: { root: roisKv, child: new Map(), log: [] },
      roisSmoothedDecimated: { root: smoothKv, child: new Map(), log: [] },
      segmentation_annotations: { root: rootAnn, child: annChanges, log: kvLog.get('segmentation_annotations')! },
      segmentation_meshes: { root: meshKv, child: meshChanges, log: kvLog.get('segmentation_meshes')! },
      segmentation_skeletons: { root: skelKv, child: skelChanges, log: kvLog.get('segmentation_skeletons')! },
    },
    facts: {
      neurons: morph.bodies.filter((b) => b.kind === 'neuron').length,
      orphans: morph.bodies.filter((b) => b.kind === 'orphan').length,
      supervoxels: svs.ids.length - 1,
      bodiesRoot: rootVox.size,
      annotatedBodies: rootAnn.size,
      annotatedOrphans,
      annotationThresholdVoxels: threshold,
      blocks: vol.segmentation.scales[0]!.count,
      synapseElements: synapses.kind.length,
      tbars: synapses.kind.reduce((n, k) => n + (k === 0 ? 1 : 0), 0),
      mitochondria: mitoCount,
      rois: rois.length,
      bookmarks: notes.bookmarks.length,
      todos: notes.todos.length,
      meshes: meshKv.size,
    },
  };
  onProgress('writing the cache');
  writeDataset(dir, ds);
  mark('write', t);
  stats.totalMs = Math.round(performance.now() - t0);
  return { stats };
}
