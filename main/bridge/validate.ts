/**
 * Runtime validation of every API argument, before any handler runs. Both bridges (IPC and browser
 * mode) call validateArg(); a method without a schema here does not exist as far as callers go.
 */
import { z } from 'zod';
import { API_METHODS, type MethodArg, type MethodName } from '../../preload/api';

const U64_MAX = (1n << 64n) - 1n;
/** A uint64 id as a decimal string. */
const u64 = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,19})$/, 'a uint64 id as a decimal string')
  .refine((s) => BigInt(s) <= U64_MAX, 'larger than 2^64 − 1');
const roiName = z.string().min(1).max(200);
const count = z.number().int().min(0).max(2 ** 31);
const roiFilter = z.strictObject({
  rois: z.array(roiName).min(1).max(500),
  mode: z.enum(['any', 'all']),
  min: z.number().int().min(1).max(2 ** 31).optional(),
});
const neuronQuery = z.strictObject({
  text: z.string().max(1000).optional(),
  statuses: z.array(z.string().max(200)).max(200).optional(),
  minPre: count.optional(),
  minPost: count.optional(),
  inputRois: roiFilter.optional(),
  outputRois: roiFilter.optional(),
  roiColumns: z.array(roiName).max(200).optional(),
  sort: z
    .strictObject({
      key: z.union([
        z.enum(['rank', 'bodyId', 'type', 'instance', 'status', 'pre', 'post']),
        z.templateLiteral(['roi:', z.string().min(1).max(200), ':pre']),
        z.templateLiteral(['roi:', z.string().min(1).max(200), ':post']),
      ]),
      dir: z.enum(['asc', 'desc']),
    })
    .optional(),
  offset: count.optional(),
  limit: z.number().int().min(1).max(1000).optional(),
});
const jobArg = z.strictObject({ jobId: z.number().int().positive() });

// Body view and slices (issue 9)
const instanceName = z.string().min(1).max(200);
const bodyIds = z.array(u64).min(1).max(10_000);
const coord = z.number().int().min(-(2 ** 31)).max(2 ** 31 - 1);
const sliceRequest = z.strictObject({
  instance: instanceName.optional(),
  axis: z.enum(['xy', 'xz', 'yz']),
  position: coord,
  scale: z.number().int().min(0).max(20),
  x0: coord,
  y0: coord,
  width: z.number().int().min(1).max(1024),
  height: z.number().int().min(1).max(1024),
});
// Datasets (issue 8)
const fullUuid = z.string().regex(/^[0-9a-f]{32}$/, 'a full node UUID (32 lowercase hex digits)');
const serverUrl = z
  .string()
  .min(1)
  .max(2000)
  .refine((s) => {
    try {
      const u = new URL(s.includes('://') ? s : `http://${s}`);
      return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password && u.host !== '';
    } catch {
      return false;
    }
  }, 'an http(s) server URL without credentials, e.g. http://host:8000');

/** Exactly one schema per contract method; `satisfies` keeps each schema's output type equal to the contract's. */
export const argSchemas = {
  appInfo: z.undefined(),
  connectionStatus: z.strictObject({ refresh: z.boolean().optional() }).optional(),
  serverInfo: z.undefined(),
  searchNeurons: neuronQuery,
  neuronsCsv: neuronQuery,
  statuses: z.undefined(),
  rois: z.strictObject({ all: z.boolean().optional() }).optional(),
  roiConnectivity: z.strictObject({ rois: z.array(roiName).max(500).optional() }).optional(),
  body: z.strictObject({ bodyId: u64 }),
  partners: z.strictObject({ bodyId: u64, direction: z.enum(['upstream', 'downstream']) }),
  // body view and slices (issue 9)
  bodyMesh: z.strictObject({ bodyId: u64, maxTriangles: z.number().int().min(1000).max(100_000_000).optional() }),
  bodySkeleton: z.strictObject({ bodyId: u64 }),
  bodySynapses: z.strictObject({ bodyId: u64 }),
  roiMesh: z.strictObject({ roi: roiName }),
  slice: sliceRequest,
  sliceInfo: z.strictObject({ instance: instanceName.optional() }).optional(),
  bodyNames: z.strictObject({ bodyIds }),
  bodyGeometry: z.strictObject({ bodyIds }),
  // Datasets (issue 8)
  recentServers: z.undefined(),
  connect: z.strictObject({ url: serverUrl, token: z.string().max(16_384).optional() }),
  useDemo: z.undefined(),
  repos: z.undefined(),
  selectNode: z.strictObject({ uuid: fullUuid }),
  activeNode: z.undefined(),
  instances: z.strictObject({ uuid: fullUuid }),
  cacheInfo: z.undefined(),
  syncPlan: z.strictObject({
    node: z.string().min(1).max(100).regex(/^[0-9a-fA-F]*(:[^\s:/]{1,200})?$/, 'a node UUID, prefix, or UUID:branch'),
    instances: z
      .array(z.strictObject({ name: z.string().min(1).max(500), scope: z.string().min(1).max(100_000).optional() }))
      .max(10_000)
      .optional(),
    maxBytes: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
  }),
  syncStart: z.strictObject({ planId: z.string().min(1).max(200) }),
  syncPause: jobArg,
  syncResume: jobArg,
  syncCancel: jobArg,
  syncStatus: z.strictObject({ jobId: z.number().int().positive().optional() }).optional(),
} satisfies { [M in MethodName]: z.ZodType<MethodArg<M>> };

const methodSet: ReadonlySet<string> = new Set(API_METHODS);

export function isMethodName(name: string): name is MethodName {
  return methodSet.has(name) && Object.hasOwn(argSchemas, name);
}

export class ArgumentError extends Error {
  constructor(
    readonly method: string,
    readonly issues: string,
  ) {
    super(`bad argument for ${method}: ${issues}`);
    this.name = 'ArgumentError';
  }
}

/** Returns the parsed argument or throws ArgumentError naming the method and what was wrong where. */
export function validateArg<M extends MethodName>(method: M, arg: unknown): MethodArg<M> {
  const schema = argSchemas[method] as z.ZodType<MethodArg<M>>;
  const result = schema.safeParse(arg);
  if (!result.success) {
    const issues = result.error.issues
      .map((i) => `${i.path.length ? i.path.join('.') : '(argument)'}: ${i.message}`)
      .join('; ');
    throw new ArgumentError(method, issues);
  }
  return result.data;
}
