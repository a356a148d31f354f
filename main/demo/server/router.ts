/**
 * Request routing, in DVID's order of checks (server/web.go): the URL layout, then the UUID
 * (repoRawSelector: 400 for unknown or ambiguous), then the instance (400 "invalid data instance
 * name"), then the locked-node rule (400 "Cannot do POST on endpoint … of locked node …" for
 * POST/PUT/DELETE except roi's POST /ptquery), then the datatype's handler.
 */
import type { DvidRequest, InstanceRequest, ServerContext } from './context';
import { resolveUuid } from './context';
import { annotationRoutes } from './annotation-routes';
import { badRequest, DvidError, goQuote } from './errors';
import { keyvalueRoutes } from './keyvalue-routes';
import { labelmapRoutes } from './labelmap-routes';
import { labelszRoutes } from './labelsz-routes';
import { helpRoute, nodeRoutes, NOT_FOUND_TEXT, repoRoutes, reposRoutes, serverRoutes } from './repo-routes';
import { textReply, type Reply } from './reply';
import { roiRoutes } from './roi-routes';

export interface Routed {
  reply: Reply;
  instance: string | null;
  versionId: number | null;
}

function notFound(): never {
  throw new DvidError(404, `${NOT_FOUND_TEXT}\n`);
}

function isMutation(type: string, method: string, keyword: string): boolean {
  const m = method.toLowerCase();
  if (type === 'roi' && keyword === 'ptquery' && m === 'post') return false;
  return m === 'post' || m === 'put' || m === 'delete';
}

/** `seen` receives the instance and version as soon as they are known (for the request log, errors included). */
export function route(ctx: ServerContext, req: DvidRequest, seen: { instance: string | null; versionId: number | null } = { instance: null, versionId: null }): Routed {
  const none = { instance: null, versionId: null };
  if (!req.path.startsWith('/api/')) notFound();
  const head = req.parts[0];
  switch (head) {
    case 'heartbeat':
      return { reply: textReply('OK'), ...none };
    case 'server':
      return { reply: serverRoutes(ctx, req), ...none };
    case 'help':
      return { reply: helpRoute(req), ...none };
    case 'repos':
      return { reply: reposRoutes(ctx, req), ...none };
    case 'repo':
      return { reply: repoRoutes(ctx, req), ...none };
    case 'node':
      break;
    default:
      notFound();
  }
  if (req.parts.length < 3) return { reply: nodeRoutes(ctx, req), ...none };
  if (req.parts.length === 3 && ['note', 'log', 'commit', 'status', 'branch', 'newversion', 'tag'].includes(req.parts[2]!)) {
    return { reply: nodeRoutes(ctx, req), instance: null, versionId: ctx.ds.nodes[resolveUuid(ctx.ds, req.parts[1]!, req.path)]!.versionId };
  }
  if (req.parts.length < 4) notFound();
  const v = resolveUuid(ctx.ds, req.parts[1]!, req.path);
  const node = ctx.ds.nodes[v]!;
  seen.versionId = node.versionId;
  const name = req.parts[2]!;
  const instance = ctx.instances.get(name);
  if (!instance) throw badRequest(req.path, 'invalid data instance name');
  seen.instance = name;
  const keyword = req.parts[3]!;
  if (node.locked && !ctx.fullWrite && isMutation(instance.type, req.method, keyword)) {
    throw badRequest(req.path, `Cannot do ${req.method} on endpoint ${goQuote(keyword)} of locked node ${node.uuid}`);
  }
  const headAware = (instance.type === 'keyvalue' && keyword === 'key') || (instance.type === 'labelmap' && keyword === 'sparsevol');
  const method = req.method === 'HEAD' && !headAware ? 'GET' : req.method;
  const ir: InstanceRequest = { ...req, method, v, uuid: node.uuid, instance, keyword };
  const at = { instance: name, versionId: node.versionId };
  switch (instance.type) {
    case 'labelmap':
      return { reply: labelmapRoutes(ctx, ir), ...at };
    case 'annotation':
      return { reply: annotationRoutes(ctx, ir), ...at };
    case 'keyvalue':
      return { reply: keyvalueRoutes(ctx, ir), ...at };
    case 'roi':
      return { reply: roiRoutes(ctx, ir), ...at };
    case 'labelsz':
      return { reply: labelszRoutes(ctx, ir), ...at };
  }
}
