/**
 * `dvid-desk sync --server URL --node UUID[:branch] [--instance NAME[=SCOPE]]... [--plan FILE.json]
 *  [--max-bytes N] [--cache DIR] [--dry-run] [--full]`
 *
 * Plans first (item counts and estimated bytes, refused over --max-bytes), then runs the sync with a
 * progress bar (plain lines when the output is not a terminal). Running the same command again
 * resumes an unfinished sync of the same plan and re-downloads nothing it stored. Once a sync of the
 * same scopes is done, running it again fetches only what changed (open node; main/sync/delta.ts),
 * or spot-checks a locked node; a child node starts from its cached ancestor (main/sync/child.ts), and
 * a server without mutation logs is followed by per-body /lastmod. --full reads everything. Ctrl+C pauses
 * cleanly (a second one quits at once); what was stored stays.
 * Exit status: 0 done, 1 error or items that failed, 2 usage, 3 refused by --max-bytes, 130 interrupted.
 */
import { resolveCacheRoot } from '../paths';
import type { Plan } from '../sync/plan';
import { PlanError } from '../sync/planner';
import { DEFAULT_MAX_BYTES } from '../sync/refusal';
import type { SyncOutcome } from '../sync/runner';
import { parseByteSize, parseInstanceArg, readPlanFile, ScopeError, type InstanceScope } from '../sync/scope';
import { SyncSession } from '../sync/session';
import { bytes, count, table } from './format';
import { parseServerUrl, UsageError } from './options';
import { ProgressDisplay } from './progress';

export interface SyncOptions {
  server?: string;
  node?: string;
  instance?: string[];
  plan?: string;
  maxBytes?: string;
  cache?: string;
  token?: string;
  dryRun?: boolean;
  concurrency?: string;
  blockCompression?: string;
  full?: boolean;
}

export function formatPlan(plan: Plan): string {
  const rows = plan.instances.map((i) => [`  ${i.name}`, i.type, i.scope, `${count(i.items.length)} requests`, `${count(i.units)} items`, `~${bytes(i.bytes)}`]);
  const lines = [
    `Plan for node ${plan.node}${plan.nodeLocked ? ' (locked)' : ' (open)'} of repo ${plan.repoRoot} on ${plan.server}:`,
    table([['  instance', 'type', 'scope', 'requests', 'items', 'estimate'], ...rows]),
    `  total ~${bytes(plan.totalBytes)}`,
  ];
  for (const i of plan.instances) for (const n of i.notes) lines.push(`  note: ${i.name}: ${n}`);
  return lines.join('\n');
}

export function formatOutcome(o: SyncOutcome): string {
  const p = o.progress;
  const lines = [
    `Sync #${p.jobId} ${o.state}: ${count(p.items.done)}/${count(p.items.total)} requests done, ${count(p.units.done)} items, ${bytes(p.bytes.done)} stored.`,
  ];
  if (o.error) lines.push(`  ${o.error}`);
  for (const f of o.failures) {
    lines.push(`  failed: ${f.instance} ${f.kind} #${f.seq}`);
    for (const s of f.subjects.slice(-5)) lines.push(`    ${s.subject}: ${s.error}`);
  }
  if (o.state === 'paused' || o.state === 'failed') lines.push('  Run the same command again to resume; nothing stored is downloaded again.');
  return lines.join('\n');
}

function scopesFrom(opts: SyncOptions): { node: string | null; scopes: InstanceScope[] | null } {
  let node: string | null = opts.node ?? null;
  const scopes: InstanceScope[] = [];
  try {
    if (opts.plan) {
      const file = readPlanFile(opts.plan);
      node ??= file.node;
      scopes.push(...file.instances);
    }
    for (const arg of opts.instance ?? []) scopes.push(parseInstanceArg(arg));
  } catch (err) {
    if (err instanceof ScopeError) throw new UsageError(err.message);
    throw err;
  }
  const names = new Set<string>();
  for (const s of scopes) {
    if (names.has(s.name)) throw new UsageError(`instance "${s.name}" is given twice`);
    names.add(s.name);
  }
  return { node, scopes: scopes.length ? scopes : null };
}

export async function runSync(opts: SyncOptions): Promise<number> {
  if (!opts.server) throw new UsageError('sync needs --server URL');
  const server = parseServerUrl(opts.server);
  const { node, scopes } = scopesFrom(opts);
  if (!node) throw new UsageError('sync needs --node UUID[:branch] (or "node" in the --plan file)');
  let maxBytes = DEFAULT_MAX_BYTES;
  if (opts.maxBytes) {
    try {
      maxBytes = parseByteSize(opts.maxBytes);
    } catch (err) {
      throw new UsageError(`--max-bytes: ${(err as Error).message}`);
    }
  }
  const blockCompression = (opts.blockCompression ?? 'blocks') as 'blocks' | 'lz4';
  if (blockCompression !== 'blocks' && blockCompression !== 'lz4') throw new UsageError('--block-compression is blocks (default) or lz4');
  const concurrency = opts.concurrency ? Number(opts.concurrency) : 4;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 64) throw new UsageError('--concurrency must be 1..64');

  const session = new SyncSession({
    serverUrl: server.url,
    token: opts.token ?? process.env.DVID_TOKEN ?? null,
    cacheRoot: resolveCacheRoot({ flag: opts.cache }),
    node,
    scopes,
    maxBytes,
    concurrency,
    blockCompression,
    full: opts.full === true,
  });
  try {
    const prepared = await session.prepare(opts.dryRun);
    const cache = session.cache;
    if (cache.report.uncleanShutdown) console.log(`The last session of this cache ended uncleanly; quick_check: ${cache.report.quickCheck?.join('; ') ?? 'not run'}.`);
    if (prepared.kind === 'checked') {
      const r = prepared.result;
      const facts = r.checked.map((c) => `${c.instance}${c.facts.length ? ` (${c.facts.join(', ')})` : ''}`);
      if (r.findings.length === 0) {
        console.log(`Node ${r.node} is locked and was synced before: nothing to download. Spot check clean: ${facts.join('; ')}.`);
        return 0;
      }
      console.error(`Node ${r.node} is locked, yet the server's data differ from what was synced (a server in full-write mode?):`);
      for (const f of r.findings) console.error(`  ${f.instance}: ${f.what}`);
      console.error('The cache was not changed. Run with --full to read the node again.');
      return 1;
    }
    if (prepared.kind === 'up-to-date') {
      console.log(formatPlan(prepared.plan));
      console.log(`Up to date: nothing changed on node ${session.resolved.uuid} since the last sync (checked now).`);
      return 0;
    }
    if (prepared.kind === 'resume') {
      console.log(`Resuming sync #${prepared.job.id} of node ${session.resolved.uuid} (${prepared.itemsDone}/${prepared.items} requests already done) in ${session.dir}.`);
      if (opts.dryRun) return 0;
    } else {
      console.log(formatPlan(prepared.plan));
      if (prepared.kind === 'refused') {
        console.error(prepared.message);
        return 3;
      }
      if (!prepared.job) return 0;
      console.log(`Sync #${prepared.job.id} into ${session.dir}`);
    }
    const display = new ProgressDisplay(process.stdout);
    let interrupts = 0;
    const onSigint = () => {
      interrupts++;
      if (interrupts === 1) {
        process.stderr.write('\nPausing (what is stored stays; press Ctrl+C again to quit at once)…\n');
        session.pause();
      } else {
        process.exit(130);
      }
    };
    process.on('SIGINT', onSigint);
    let outcome: SyncOutcome;
    try {
      outcome = await session.run((p) => display.update(p));
    } finally {
      process.off('SIGINT', onSigint);
      display.done();
    }
    console.log(formatOutcome(outcome));
    if (outcome.state === 'done') return 0;
    if (outcome.state === 'paused') return 130;
    return 1;
  } catch (err) {
    if (err instanceof PlanError || err instanceof ScopeError) throw new UsageError(err.message);
    throw err;
  } finally {
    await session.close();
  }
}
