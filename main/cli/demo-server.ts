/**
 * `dvid-desk demo-server [--port N] [--seed N] [--size N | --small] [--faults FILE.json] [--data DIR] [--no-jsonstore]`:
 * serves the embedded demo DVID on 127.0.0.1 until stopped. Its first line of output is the URL;
 * progress of a first-time generation goes to stderr.
 */
import { readFileSync } from 'node:fs';
import { defaultDemoDataRoot, parseFaultRules, startDemoServer, type FaultRule } from '../demo/index';
import { parsePort, UsageError } from './options';

export interface DemoServerCliOptions {
  port?: string;
  seed?: string;
  size?: string;
  small?: boolean;
  faults?: string;
  data?: string;
  /** commander's --no-jsonstore: false when given. */
  jsonstore?: boolean;
}

function parseIntOption(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} "${raw}" is not a non-negative integer`);
  return n;
}

function readFaults(file: string | undefined): FaultRule[] {
  if (!file) return [];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new UsageError(`--faults ${file}: ${(e as Error).message}`);
  }
  try {
    return parseFaultRules(JSON.parse(text));
  } catch (e) {
    throw new UsageError(`--faults ${file}: ${(e as Error).message}`);
  }
}

export async function runDemoServer(opts: DemoServerCliOptions): Promise<number> {
  if (opts.small && opts.size !== undefined) throw new UsageError('--small and --size exclude each other');
  const port = parsePort(opts.port);
  const seed = parseIntOption('seed', opts.seed);
  const size = parseIntOption('size', opts.size);
  const faults = readFaults(opts.faults);
  const dataRoot = opts.data ?? defaultDemoDataRoot();
  let lastLine = '';
  let demo;
  try {
    demo = await startDemoServer({
      preset: opts.small ? 'small' : 'default',
      size,
      seed,
      port,
      faults,
      dataRoot,
      jsonstore: opts.jsonstore !== false,
      onProgress: (stage, f) => {
        const line = `generating the demo dataset (first run only): ${stage}${f !== undefined ? ` ${Math.round(f * 100)}%` : ''}`;
        if (line !== lastLine) process.stderr.write(`${line}\n`);
        lastLine = line;
      },
    });
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
  process.stdout.write(`${demo.url}\n`);
  const t = demo.truth;
  console.log(`DVID Desk demo server: ${t.params.preset} dataset, ${t.params.size}³ voxels, seed ${t.params.seed} (cache: ${t.dataset.dir}).`);
  console.log(`repo root ${t.uuids.root} (locked), open node ${t.uuids.child}; ${t.facts.neurons} neurons, ${t.facts.bodiesRoot} bodies, ${t.facts.blocks} blocks, ${t.facts.synapseElements} synapse elements.`);
  if (faults.length > 0) console.log(`${faults.length} fault rule(s) active.`);
  if (opts.jsonstore === false) console.log('No [mutations] jsonstore: /mutations answers 400, /mutations-range never answers.');
  console.log('Serving on 127.0.0.1 only. Stop with Ctrl+C.');
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await demo.close();
  return 0;
}
