import { Readable } from 'node:stream';
import * as fc from 'fast-check';
import * as tarStream from 'tar-stream';
import { describe, expect, it } from 'vitest';
import { readTar, TarStreamParser, writeTar, type TarEntry } from '../../../main/formats/tar';
import { fcParams, fixture, formatErrorOf, fuzzOutcomes } from './helpers';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/** tar-stream (independent implementation) → bytes */
async function packWithTarStream(entries: readonly TarEntry[]): Promise<Uint8Array> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c: unknown) => chunks.push(c as Buffer));
    pack.on('end', () => resolve());
    pack.on('error', reject);
  });
  for (const e of entries) pack.entry({ name: e.name, size: e.data.length, mode: 0o755, mtime: new Date(0) }, Buffer.from(e.data));
  pack.finalize();
  await done;
  return new Uint8Array(Buffer.concat(chunks));
}

/** bytes → tar-stream's reading of them */
async function extractWithTarStream(bytes: Uint8Array): Promise<Array<TarEntry & { mode: number; type: string }>> {
  const extract = tarStream.extract();
  const out: Array<TarEntry & { mode: number; type: string }> = [];
  Readable.from([Buffer.from(bytes)]).pipe(extract);
  for await (const entry of extract) {
    const parts: Buffer[] = [];
    for await (const c of entry) parts.push(c as Buffer);
    out.push({ name: entry.header.name, data: new Uint8Array(Buffer.concat(parts)), mode: entry.header.mode ?? -1, type: entry.header.type ?? '' });
  }
  return out;
}

/** Feeds `bytes` to a fresh parser in pieces cut at `cuts`. */
function parseInPieces(bytes: Uint8Array, cuts: number[]): TarEntry[] {
  const p = new TarStreamParser();
  const out: TarEntry[] = [];
  let at = 0;
  for (const c of [...cuts.filter((x) => x > 0 && x < bytes.length).toSorted((a, b) => a - b), bytes.length]) {
    out.push(...p.push(bytes.subarray(at, c)));
    at = c;
  }
  p.finish();
  return out;
}

const FIXTURE_ENTRIES = [
  ['1234_swc', 15],
  ['empty', 0],
  ['exact512', 512],
  ['odd513', 513],
  [`segmentation_meshes/${'d'.repeat(120)}/5813.ngmesh`, 16],
  ['n'.repeat(150), 34],
  ['café à la crème (L)', 13],
] as const;

const nameArb = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9_.()' -]{1,40}$/),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 120 }).filter((s) => !s.includes('\0') && !s.endsWith('/') && !s.startsWith('/')),
  fc.stringMatching(/^[a-z]{1,60}\/[a-z]{1,60}\/[a-z0-9]{1,90}$/),
);
const entriesArb = fc.uniqueArray(fc.record({ name: nameArb, data: fc.uint8Array({ maxLength: 1500 }) }), { selector: (e) => e.name, maxLength: 8 });

describe('tar', () => {
  it.each(['keys_pax.tar', 'keys_gnu.tar', 'keys_ustar.tar'])('reads %s written by Python tarfile', (name) => {
    const entries = readTar(fixture(name));
    const expected = FIXTURE_ENTRIES.filter(([n]) => name !== 'keys_ustar.tar' || (!n.startsWith('nnn') && /^[\x20-\x7e]*$/.test(n)));
    expect(entries.map((e) => [e.name, e.data.length])).toEqual(expected);
    expect(entries.find((e) => e.name === 'exact512')?.data).toEqual(new Uint8Array(Array.from({ length: 512 }, (_, i) => i % 256)));
    expect(new TextDecoder().decode(entries[0]?.data)).toBe('1 1 0 0 0 1 -1\n');
  });

  it('writes what DVID writes: ustar, mode 0755, type 0, two zero blocks, a valid checksum', () => {
    const bytes = writeTar([{ name: '5813_swc', data: enc('hello') }]);
    expect(bytes.length).toBe(512 + 512 + 1024);
    const text = (a: number, b: number): string => String.fromCharCode(...bytes.subarray(a, b));
    expect(text(0, 8)).toBe('5813_swc');
    expect(text(100, 108)).toBe('0000755\0');
    expect(text(124, 136)).toBe('00000000005\0');
    expect(text(156, 157)).toBe('0');
    expect(text(257, 265)).toBe('ustar\x0000');
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (bytes[i] as number);
    expect(parseInt(text(148, 154), 8)).toBe(sum);
    expect(bytes.subarray(1024).every((b) => b === 0)).toBe(true);
  });

  it('cross-check: tar-stream reads what writeTar writes (names, data, mode 0755, regular files)', async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb, async (entries) => {
        const theirs = await extractWithTarStream(writeTar(entries));
        expect(theirs.map((e) => ({ name: e.name, data: e.data }))).toEqual(entries);
        for (const e of theirs) {
          expect(e.mode).toBe(0o755);
          expect(e.type).toBe('file');
        }
      }),
      { ...fcParams, numRuns: 100 },
    );
  });

  it('cross-check: TarStreamParser reads what tar-stream writes, in chunks split anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(entriesArb, fc.array(fc.nat({ max: 20000 }), { maxLength: 12 }), async (entries, cuts) => {
        const bytes = await packWithTarStream(entries);
        expect(parseInPieces(bytes, cuts)).toEqual(entries);
      }),
      { ...fcParams, numRuns: 100 },
    );
  });

  it('round-trips byte by byte (every split point at once)', () => {
    const entries = [
      { name: 'a', data: enc('x'.repeat(700)) },
      { name: 'ü'.repeat(80), data: new Uint8Array(0) },
    ];
    const bytes = writeTar(entries);
    const p = new TarStreamParser();
    const out: TarEntry[] = [];
    for (let i = 0; i < bytes.length; i++) out.push(...p.push(bytes.subarray(i, i + 1)));
    p.finish();
    expect(out).toEqual(entries);
    expect(p.bytesConsumed).toBe(bytes.length);
  });

  it('long and non-ASCII names get a PAX header (as Go does); slash paths use the ustar prefix', () => {
    const long = 'k'.repeat(150);
    const bytes = writeTar([{ name: long, data: enc('1') }]);
    expect(bytes[156]).toBe('x'.charCodeAt(0));
    expect(readTar(bytes)).toEqual([{ name: long, data: enc('1') }]);
    const path = `${'a'.repeat(90)}/${'b'.repeat(90)}`;
    const split = writeTar([{ name: path, data: enc('2') }]);
    expect(split[156]).toBe('0'.charCodeAt(0));
    expect(String.fromCharCode(...split.subarray(345, 355))).toBe('a'.repeat(10));
    expect(readTar(split)[0]?.name).toBe(path);
    expect(() => writeTar([{ name: '', data: enc('') }])).toThrow(RangeError);
    expect(() => writeTar([{ name: 'a\0b', data: enc('') }])).toThrow(RangeError);
  });

  it('a stream cut anywhere before its end is a FormatError at finish()', () => {
    const bytes = fixture('keys_pax.tar');
    // Walk the headers (size at 124, octal) to where the end-of-archive block starts: Python pads the
    // archive to 10 KiB, so that is well before the end of the file. Any cut before it must be reported.
    let end = 0;
    while (bytes.subarray(end, end + 512).some((b) => b !== 0)) {
      const size = parseInt(String.fromCharCode(...bytes.subarray(end + 124, end + 135)), 8);
      end += 512 + Math.ceil(size / 512) * 512;
    }
    expect(end).toBeGreaterThan(4096);
    expect(readTar(bytes.subarray(0, end + 512))).toHaveLength(7);
    for (const cut of [0, 1, 100, 511, 512, 513, 1024, 1500, 4096, end - 1, end]) {
      const p = new TarStreamParser();
      const err = formatErrorOf(() => {
        p.push(bytes.subarray(0, cut));
        p.finish();
      });
      expect(err.reason).toMatch(/empty stream|ends|truncated/);
    }
  });

  it('DVID error text appended after a 200 is reported with serverMessage', () => {
    const good = writeTar([{ name: 'k', data: enc('v') }]);
    const msg = 'unable to deserialize data for key "k2": bad (/api/node/abc/kv/keyrangevalues/a/z).\n';
    // 1) after the end-of-archive blocks (keyrangevalues closes the writer, then http.Error appends)
    const after = new Uint8Array([...good, ...enc(msg)]);
    const e1 = formatErrorOf(() => readTar(after));
    expect((e1 as unknown as { serverMessage: string }).serverMessage).toBe(msg);
    expect(e1.offset).toBe(good.length);
    // 2) in place of the next header (the writer was never closed)
    const noEnd = new Uint8Array([...good.subarray(0, 1024), ...enc(msg)]);
    const e2 = formatErrorOf(() => readTar(noEnd));
    expect((e2 as unknown as { serverMessage: string }).serverMessage).toBe(msg);
    // 3) zero padding after the end is fine
    expect(readTar(new Uint8Array([...good, ...new Uint8Array(9000)]))).toHaveLength(1);
  });

  it('rejects bad checksums, oversized entries, links and devices', () => {
    const bytes = writeTar([{ name: 'k', data: enc('value') }]);
    const bad = bytes.slice();
    bad[0] = 'j'.charCodeAt(0);
    expect(formatErrorOf(() => readTar(bad)).reason).toMatch(/checksum/);
    expect(formatErrorOf(() => new TarStreamParser({ maxEntryBytes: 4 }).push(bytes)).reason).toMatch(/exceeds the 4-byte limit/);
    const huge = writeTar([{ name: 'k', data: new Uint8Array(0) }]);
    // claim 1 TiB in the size field (and fix the checksum): rejected before anything is gathered
    huge.set(enc('17777777777\0'), 124);
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (huge[i] as number);
    huge.set(enc(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
    expect(formatErrorOf(() => new TarStreamParser().push(huge)).reason).toMatch(/limit/);
    const link = writeTar([{ name: 'k', data: new Uint8Array(0) }]);
    link[156] = '2'.charCodeAt(0);
    let s2 = 0;
    for (let i = 0; i < 512; i++) s2 += i >= 148 && i < 156 ? 32 : (link[i] as number);
    link.set(enc(`${s2.toString(8).padStart(6, '0')}\0 `), 148);
    expect(formatErrorOf(() => readTar(link)).reason).toMatch(/unsupported entry type '2'/);
  });

  it.each(['keys_pax.tar', 'keys_gnu.tar'])('damaged %s decodes or throws FormatError', async (name) => {
    expect(await fuzzOutcomes(fixture(name), (b) => readTar(b))).toContain('format-error');
  });
});
