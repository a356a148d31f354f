/**
 * Every format `dvid-desk inspect` knows. Order matters for sniffing: formats with a magic number
 * first, text formats next, structural guesses (sparsevol, ngmesh) last; insert new binary formats
 * (label blocks, block streams) before the structural ones.
 */
import { blockStreamInspector } from './block-stream';
import { dracoInspector } from './draco';
import type { Inspector } from './inspector';
import { labelBlockInspector } from './label-block';
import { ngmeshInspector } from './ngmesh';
import { objInspector } from './obj';
import { plyInspector } from './ply';
import { sparsevolInspector } from './sparsevol';
import { swcInspector } from './swc';
import { tarInspector } from './tar';

export const inspectors: Inspector[] = [
  dracoInspector,
  plyInspector,
  tarInspector,
  objInspector,
  swcInspector,
  labelBlockInspector,
  blockStreamInspector,
  sparsevolInspector,
  ngmeshInspector,
];
