/**
 * three.js objects built straight from the binary API results (preload/binary.ts): the typed-array
 * views of the received ArrayBuffer become GPU buffers as they are, no per-vertex JavaScript.
 * Coordinates are scale-0 voxels throughout.
 */
import {
  Box3,
  BufferAttribute,
  BufferGeometry,
  Color,
  DoubleSide,
  FrontSide,
  Group,
  IcosahedronGeometry,
  InstancedMesh,
  InterleavedBuffer,
  InterleavedBufferAttribute,
  LineBasicMaterial,
  LineSegments,
  Matrix4,
  Mesh,
  MeshPhongMaterial,
  SRGBColorSpace,
  Sphere,
  Vector3,
  type Object3D,
} from 'three';
import { readMesh, readSkeleton, readSynapses, SYNAPSE_PRE, type MeshBuffers, type SkeletonBuffers } from '../../../preload/binary';
import type { Rgb } from './colors';

export function threeColor(c: Rgb): Color {
  return new Color().setRGB(c[0] / 255, c[1] / 255, c[2] / 255, SRGBColorSpace);
}

function meshGeometry(m: MeshBuffers): BufferGeometry {
  const g = new BufferGeometry();
  g.setAttribute('position', new BufferAttribute(m.positions, 3));
  // Normals stay int8 × 4 as they arrive (normalized in the shader): a quarter of float32's upload.
  if (m.normals) g.setAttribute('normal', new InterleavedBufferAttribute(new InterleavedBuffer(m.normals, 4), 3, 0, true));
  g.setIndex(new BufferAttribute(m.indices, 1));
  // Bounds come with the buffer: no pass over the vertices here.
  const box = new Box3(new Vector3(...m.min), new Vector3(...m.max));
  g.boundingBox = box;
  g.boundingSphere = box.getBoundingSphere(new Sphere());
  return g;
}

export interface BuiltMesh {
  object: Mesh;
  triangles: number;
  vertices: number;
}

export function bodyMeshObject(buf: ArrayBuffer, color: Rgb): BuiltMesh {
  const m = readMesh(buf);
  // A closed mesh wound outward shows all of itself with front faces only, at half the rasterizing
  // (main checks the winding, and turns an inward-wound mesh). Other meshes (openings, mixed
  // winding) are drawn from both sides, which hides nothing.
  const side = m.outward ? FrontSide : DoubleSide;
  const mat = new MeshPhongMaterial({ color: threeColor(color), shininess: 28, specular: 0x222222, side });
  const object = new Mesh(meshGeometry(m), mat);
  return { object, triangles: m.indices.length / 3, vertices: m.positions.length / 3 };
}

export function roiMeshObject(buf: ArrayBuffer, color: Rgb): BuiltMesh {
  const m = readMesh(buf);
  const mat = new MeshPhongMaterial({ color: threeColor(color), transparent: true, opacity: 0.16, depthWrite: false, side: DoubleSide, shininess: 5 });
  const object = new Mesh(meshGeometry(m), mat);
  object.renderOrder = 10; // after the opaque bodies
  return { object, triangles: m.indices.length / 3, vertices: m.positions.length / 3 };
}

export interface BuiltSkeleton {
  object: Object3D;
  nodes: number;
  /** the root (soma) position, for centring a slice on the body */
  root: [number, number, number] | null;
  skeleton: SkeletonBuffers;
}

export function skeletonObject(buf: ArrayBuffer, color: Rgb): BuiltSkeleton {
  const s = readSkeleton(buf);
  const g = new BufferGeometry();
  g.setAttribute('position', new BufferAttribute(s.positions, 3));
  g.setIndex(new BufferAttribute(s.edges, 1));
  g.computeBoundingSphere();
  const lines = new LineSegments(g, new LineBasicMaterial({ color: threeColor(color) }));
  const group = lines as Object3D;
  // Soma nodes (SWC type 1, or the root) as spheres of their radius: the one place a skeleton has volume.
  const soma: number[] = [];
  for (let i = 0; i < s.types.length; i++) if (s.types[i] === 1) soma.push(i);
  if (soma.length === 0 && s.root >= 0) soma.push(s.root);
  if (soma.length > 0) {
    const sphere = new IcosahedronGeometry(1, 2);
    const inst = new InstancedMesh(sphere, new MeshPhongMaterial({ color: threeColor(color), shininess: 20 }), soma.length);
    const m = new Matrix4();
    soma.forEach((i, k) => {
      const r = Math.max(s.radii[i]!, 2);
      m.makeScale(r, r, r).setPosition(s.positions[3 * i]!, s.positions[3 * i + 1]!, s.positions[3 * i + 2]!);
      inst.setMatrixAt(k, m);
    });
    inst.computeBoundingSphere();
    lines.add(inst);
  }
  const root = s.root >= 0 ? ([s.positions[3 * s.root]!, s.positions[3 * s.root + 1]!, s.positions[3 * s.root + 2]!] as [number, number, number]) : null;
  return { object: group, nodes: s.positions.length / 3, root, skeleton: s };
}

export interface BuiltSynapses {
  object: Object3D;
  pre: number;
  post: number;
  first: [number, number, number] | null;
}

/** T-bars and PSDs as small instanced spheres of a radius that reads at the body's scale. */
export function synapseObject(buf: ArrayBuffer, radius: number, pre: Rgb, post: Rgb): BuiltSynapses {
  const s = readSynapses(buf);
  const group = new Group();
  const sphere = new IcosahedronGeometry(1, 1);
  const kinds: Array<[number, Rgb]> = [
    [SYNAPSE_PRE, pre],
    [1 - SYNAPSE_PRE, post],
  ];
  for (const [kind, color] of kinds) {
    const count = kind === SYNAPSE_PRE ? s.pre : s.count - s.pre;
    if (count === 0) continue;
    // Synapses sit just inside the membrane: drawn over the (opaque) mesh, or they would be hidden by it.
    const mat = new MeshPhongMaterial({ color: threeColor(color), shininess: 40, emissive: threeColor(color), emissiveIntensity: 0.35, depthTest: false });
    const inst = new InstancedMesh(sphere, mat, count);
    inst.renderOrder = 20;
    const m = new Matrix4();
    let k = 0;
    const r = s.records;
    for (let i = 0; i < s.count; i++) {
      if (r[4 * i + 3] !== kind) continue;
      m.makeScale(radius, radius, radius).setPosition(r[4 * i]!, r[4 * i + 1]!, r[4 * i + 2]!);
      inst.setMatrixAt(k++, m);
    }
    inst.computeBoundingSphere();
    inst.name = kind === SYNAPSE_PRE ? 'tbars' : 'psds';
    group.add(inst);
  }
  const first = s.count > 0 ? ([s.records[0]!, s.records[1]!, s.records[2]!] as [number, number, number]) : null;
  return { object: group, pre: s.pre, post: s.count - s.pre, first };
}

/** Frees the GPU buffers of an object tree. */
export function disposeObject(obj: Object3D): void {
  obj.traverse((o) => {
    const any = o as Partial<Mesh>;
    any.geometry?.dispose();
    const mat = any.material;
    if (Array.isArray(mat)) for (const x of mat) x.dispose();
    else mat?.dispose();
  });
}

