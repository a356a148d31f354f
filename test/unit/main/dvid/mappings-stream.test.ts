import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../../main/formats/format-error';
import { BinaryMappingsParser, TextMappingsParser, type MappingBatch } from '../../../../main/dvid/mappings-stream';

const enc = (s: string) => new TextEncoder().encode(s);
const u64 = fc.bigInt({ min: 0n, max: 18446744073709551615n });

function pairsOf(batches: MappingBatch[]): Array<[bigint, bigint]> {
  return batches.flatMap((b) => [...b.supervoxels].map((sv, i) => [sv, b.bodies[i]!] as [bigint, bigint]));
}

function binary(pairs: Array<[bigint, bigint]>): Uint8Array {
  const b = new Uint8Array(pairs.length * 16);
  const dv = new DataView(b.buffer);
  pairs.forEach(([sv, body], i) => {
    dv.setBigUint64(i * 16, sv, true);
    dv.setBigUint64(i * 16 + 8, body, true);
  });
  return b;
}

function feed(p: { push(c: Uint8Array): MappingBatch[]; flush?(): MappingBatch[]; finish(): void }, bytes: Uint8Array, step: number): MappingBatch[] {
  const out: MappingBatch[] = [];
  for (let i = 0; i < bytes.length; i += step) out.push(...p.push(bytes.subarray(i, i + step)));
  out.push(...(p.flush?.() ?? []));
  p.finish();
  return out;
}

describe('mappings parsers', () => {
  it('read text and binary forms to the same pairs, whatever the chunking', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(u64, u64), { maxLength: 400 }), fc.integer({ min: 1, max: 5000 }), (pairs, step) => {
        const text = enc(pairs.map(([a, b]) => `${a} ${b}\n`).join(''));
        expect(pairsOf(feed(new TextMappingsParser(), text, step))).toEqual(pairs);
        expect(pairsOf(feed(new BinaryMappingsParser(), binary(pairs), step))).toEqual(pairs);
      }),
      { numRuns: 60 },
    );
  });

  it('text: delivers the lines before an error line, then fails at the offset where the text starts', () => {
    const good = '1 2\n3 4\n';
    const p = new TextMappingsParser();
    const got = p.push(new TextEncoder().encode(`${good}5 6\nunable to write mappings: boom (/api/node/x/seg/mappings).\n`));
    expect(pairsOf(got)).toEqual([
      [1n, 2n],
      [3n, 4n],
      [5n, 6n],
    ]);
    expect(() => p.push(new Uint8Array(0))).toThrow(expect.objectContaining({ offset: good.length + 4 }));
  });

  it('binary: an error text (even a multiple of 16 bytes long) is not delivered as pairs', () => {
    const pairs: Array<[bigint, bigint]> = Array.from({ length: 1000 }, (_, i) => [BigInt(i + 10), BigInt(i % 7)]);
    let text = 'unable to write mappings: storage (/api/node/x/seg/mappings).\n';
    while (text.length % 16) text = `x${text}`;
    const bytes = new Uint8Array([...binary(pairs), ...enc(text)]);
    const p = new BinaryMappingsParser();
    const got: MappingBatch[] = [];
    for (let i = 0; i < bytes.length; i += 777) got.push(...p.push(bytes.subarray(i, i + 777)));
    got.push(...p.flush());
    expect(pairsOf(got)).toEqual(pairs);
    let err: unknown;
    try {
      p.finish();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(FormatError);
    expect((err as FormatError & { serverMessage?: string }).serverMessage).toBe(text.trim());
    expect((err as FormatError).offset).toBe(pairs.length * 16);
  });

  it('binary: a stream cut mid-pair delivers the whole pairs and then fails', () => {
    const bytes = binary([[5n, 6n]]);
    const p = new BinaryMappingsParser();
    p.push(bytes.subarray(0, 16 + 0));
    p.push(new Uint8Array([1, 2, 3]));
    expect(pairsOf(p.flush())).toEqual([[5n, 6n]]);
    expect(() => p.finish()).toThrow(/mid-pair/);
  });
});
