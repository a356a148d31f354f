/** Server-, repo- and node-level endpoints (server/web.go): info, repos, DAG, node note/log/status. */
import { GENERATOR_VERSION } from '../dataset/presets';
import { branchAncestry, resolveUuid, type DvidRequest, type ServerContext } from './context';
import { badRequest, DvidError, textNotFound } from './errors';
import { goString, goValue } from './go-json';
import { repoJson } from './info';
import { jsonReply, textReply, type Reply } from './reply';
import { goTimeString } from '../dataset/time';

export const NOT_FOUND_TEXT = '404 page not found';

function serverInfo(ctx: ServerContext): string {
  const up = (Date.now() - ctx.startedAt) / 1000;
  const info: Record<string, string> = {
    Cores: '2',
    'DVID Version': `v1.0.0-dvid-desk-demo (generator ${GENERATOR_VERSION})`,
    'Datastore Version': '0.10.0',
    Host: ctx.host,
    'Max Open Files': '65536',
    'Maximum Cores': '2',
    Note: `DVID Desk demo server: a synthetic miniature hemibrain (preset ${ctx.ds.params.preset}, ${ctx.ds.params.size}³ voxels, seed ${ctx.ds.params.seed})`,
    'RPC Address': 'localhost:8001',
    'Server time': goTimeString({ ms: Date.now(), ns: 0 }, up),
    'Server uptime': goDuration(up),
    'Storage backend': 'basholeveldb',
    'TOML location': '(demo: none)',
  };
  const keys = Object.keys(info).toSorted((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((k) => `${goString(k)}:${goString(info[k]!)}`).join(',')}}`;
}

/** Go's time.Duration.String() for a positive number of seconds: "1h2m3.5s", "4m0.25s", "12.000001s". */
function goDuration(seconds: number): string {
  const h = Math.floor(seconds / 3600), m = Math.floor((seconds % 3600) / 60);
  const s = (seconds % 60).toFixed(9).replace(/\.?0+$/, '');
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${s}s`;
}

const TYPES = ['annotation', 'keyvalue', 'labelmap', 'labelsz', 'roi'];

export function serverRoutes(ctx: ServerContext, req: DvidRequest): Reply {
  const [, action] = req.parts;
  if (req.method !== 'GET' && req.method !== 'HEAD') throw new DvidError(404, `${NOT_FOUND_TEXT}\n`);
  switch (action) {
    case 'info':
      return jsonReply(serverInfo(ctx));
    case 'types':
    case 'compiled-types':
      return jsonReply(`{${TYPES.map((t) => `${goString(t)}:${goString(`github.com/janelia-flyem/dvid/datatype/${t}`)}`).join(',')}}`);
    case 'note':
      return textReply('DVID Desk demo server');
    default:
      throw new DvidError(404, `${NOT_FOUND_TEXT}\n`);
  }
}

export function reposRoutes(ctx: ServerContext, req: DvidRequest): Reply {
  if (req.parts[1] === 'info' && req.parts.length === 2 && req.method === 'GET') return jsonReply(`{${goString(ctx.ds.repo.root)}:${repoJson(ctx)}}`);
  throw new DvidError(404, `${NOT_FOUND_TEXT}\n`);
}

export function repoRoutes(ctx: ServerContext, req: DvidRequest): Reply {
  const [, uuidSpec, action, name] = req.parts;
  if (!uuidSpec) throw new DvidError(404, `${NOT_FOUND_TEXT}\n`);
  resolveUuid(ctx.ds, uuidSpec, req.path);
  if (action === 'info' && req.method === 'GET') return jsonReply(repoJson(ctx));
  if (action === 'branch-versions' && name !== undefined && req.method === 'GET') {
    const uuids = branchAncestry(ctx.ds, name).map((i) => ctx.ds.nodes[i]!.uuid);
    return jsonReply(`[${uuids.map((u) => `"${u}"`).join(',')}]`);
  }
  if (action === 'log' && req.method === 'GET') return jsonReply(goValue({ log: ctx.ds.repo.log }));
  if (req.method === 'POST') throw badRequest(req.path, 'the demo server does not change repo metadata');
  throw new DvidError(404, `${NOT_FOUND_TEXT}\n`);
}

export function nodeRoutes(ctx: ServerContext, req: DvidRequest): Reply {
  const [, uuidSpec, action] = req.parts;
  const v = resolveUuid(ctx.ds, uuidSpec!, req.path);
  const node = ctx.ds.nodes[v]!;
  const method = req.method.toLowerCase();
  const branchRequest = action === 'branch' || action === 'newversion' || action === 'tag';
  if (node.locked && !branchRequest && method !== 'get' && method !== 'head') throw badRequest(req.path, `Cannot do ${method} on locked node ${node.uuid}`);
  switch (`${req.method} ${action ?? ''}`) {
    case 'GET note':
      return jsonReply(goValue({ note: ctx.nodeNotes[v] }));
    case 'GET log':
      return jsonReply(goValue({ log: ctx.nodeLogs[v] }));
    case 'GET commit':
    case 'GET status':
      return jsonReply(`{"Locked":${node.locked}}`);
    case 'POST note': {
      const note = parseJsonObject(req, 'note');
      if (typeof note !== 'string') throw badRequest(req.path, 'Could not find "note" key in JSON POST');
      ctx.nodeNotes[v] = note;
      return { status: 200, headers: {}, body: null };
    }
    case 'POST log': {
      const log = parseJsonObject(req, 'log');
      if (!Array.isArray(log)) throw badRequest(req.path, 'Could not find "log" key in JSON POST');
      ctx.nodeLogs[v]!.push(...log.map(String));
      return { status: 200, headers: {}, body: null };
    }
    case 'POST commit':
    case 'POST branch':
    case 'POST newversion':
    case 'POST tag':
      throw badRequest(req.path, 'the demo server keeps its two versions: it does not commit, branch or tag');
    default:
      throw new DvidError(404, `${NOT_FOUND_TEXT}\n`);
  }
}

function parseJsonObject(req: DvidRequest, key: string): unknown {
  try {
    return (JSON.parse(req.body.toString('utf8') || '{}') as Record<string, unknown>)[key];
  } catch (e) {
    throw badRequest(req.path, `Malformed JSON request in body: ${(e as Error).message}`);
  }
}

export function helpRoute(req: DvidRequest): Reply {
  const type = req.parts[1];
  if (type && !TYPES.includes(type)) throw textNotFound(`Unknown datatype ${goString(type)} requested`);
  return textReply(
    `API for ${type ?? 'DVID'} served by the DVID Desk demo server.\nSee https://github.com/janelia-flyem/dvid for the full help; the demo answers the endpoints a sync client uses.\n`,
  );
}
