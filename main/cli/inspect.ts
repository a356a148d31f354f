/**
 * `dvid-desk inspect FILE... [--as FORMAT]`: one JSON object per line per file, with the facts a person
 * would check (counts, bounds, …). The format comes from --as, else the file extension (longest match,
 * so `.dvidblk.gz` beats `.gz`), else the content (each inspector's sniff, in registry order).
 *
 * Every file is tried, even after one fails: each failure (a FormatError, an unknown format, an
 * unreadable file) is one line on stderr, and the exit status is 1 if any file failed, else 0.
 */
import { readFile, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Inspector } from './inspect/inspector';
import { inspectors } from './inspect/registry';
import { UsageError } from './options';

/** Files are read whole; beyond this they are refused rather than risking the process. */
const MAX_FILE_BYTES = 2 ** 31 - 1;

export interface InspectOptions {
  as?: string;
}

export interface InspectIo {
  out: (line: string) => void;
  err: (line: string) => void;
}

const defaultIo: InspectIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

/** --as takes an inspector name or one of its extensions (with or without the dot): `drc`, `.swc`. */
export function inspectorByName(name: string, list: readonly Inspector[] = inspectors): Inspector {
  const n = name.toLowerCase();
  const dotted = n.startsWith('.') ? n : `.${n}`;
  const found = list.find((i) => i.name === n) ?? list.find((i) => i.extensions.includes(dotted));
  if (!found) throw new UsageError(`--as ${name}: unknown format (one of ${list.map((i) => i.name).join(', ')})`);
  return found;
}

export function chooseInspector(fileName: string, bytes: Uint8Array, list: readonly Inspector[] = inspectors): Inspector | null {
  const lower = basename(fileName).toLowerCase();
  let best: Inspector | null = null;
  let bestLen = 0;
  for (const i of list) {
    for (const ext of i.extensions) {
      if (lower.endsWith(ext) && ext.length > bestLen) {
        best = i;
        bestLen = ext.length;
      }
    }
  }
  if (best) return best;
  return list.find((i) => i.sniff(bytes)) ?? null;
}

function jsonLine(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

export async function runInspect(files: readonly string[], opts: InspectOptions, io: InspectIo = defaultIo, list: readonly Inspector[] = inspectors): Promise<number> {
  const forced = opts.as !== undefined ? inspectorByName(opts.as, list) : null;
  let status = 0;
  for (const file of files) {
    try {
      const info = await stat(file);
      if (!info.isFile()) throw new Error('not a regular file');
      if (info.size > MAX_FILE_BYTES) throw new Error(`${info.size} bytes is more than inspect reads (${MAX_FILE_BYTES})`);
      const bytes = new Uint8Array(await readFile(file));
      const inspector = forced ?? chooseInspector(file, bytes, list);
      if (!inspector) throw new Error(`unknown format (neither the extension nor the content says; try --as ${list.map((i) => i.name).join('|')})`);
      const facts = await inspector.inspect(bytes, file);
      io.out(jsonLine({ file, format: inspector.name, ...facts }));
    } catch (err) {
      status = 1;
      // A FormatError's message already reads "<format>: <reason> (at byte N)".
      const message = err instanceof Error ? err.message : String(err);
      io.err(`dvid-desk inspect: ${file}: ${message}`);
    }
  }
  return status;
}
