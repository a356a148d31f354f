import * as fc from 'fast-check';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { decodeKeys, decodeKeysMessage, decodeKeyValues, encodeKeys, encodeKeysMessage, encodeKeyValues, type KeyValue } from '../../../main/formats/kv-protobuf';
import { fcParams, formatErrorOf, fuzzOutcomes } from './helpers';

// The messages exactly as DVID-API.md §7 gives them (datatype/common/proto/keyvalue.proto), built by
// protobufjs: the independent implementation.
const PROTO = `
syntax = "proto3";
package proto;
message KeyValue  { string key = 1;  bytes value = 2; }
message KeyValues { repeated KeyValue kvs = 1; }
message KeyRange  { string key = 1; uint64 byte_start = 2; uint64 byte_end = 3; }
message Keys      { repeated string keys = 1; repeated KeyRange key_ranges = 2; }
message KeyValueV2 { string key = 1; bytes value = 2; fixed64 extra_fixed = 9; sint32 extra_varint = 10; string extra_text = 11; fixed32 extra_f32 = 12; }
message KeyValuesV2 { repeated KeyValueV2 kvs = 1; uint32 count = 7; }
`;
const root = protobuf.parse(PROTO).root;
const PbKeyValues = root.lookupType('proto.KeyValues');
const PbKeys = root.lookupType('proto.Keys');
const PbKeyValuesV2 = root.lookupType('proto.KeyValuesV2');

interface PbKv {
  key?: string;
  value?: Uint8Array;
}

const keyArb = fc.string({ unit: 'grapheme', maxLength: 40 });
const kvArb = fc.array(fc.record({ key: keyArb, value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }) }), { maxLength: 20 });

function norm(v: Uint8Array | null): number[] | null {
  return v === null || v.length === 0 ? null : Array.from(v);
}

describe('keyvalue protobuf', () => {
  it('writes the wire bytes of §7 (tags 0x0A / 0x12, varint lengths)', () => {
    expect(Array.from(encodeKeyValues([{ key: 'ab', value: new Uint8Array([1, 2, 3]) }]))).toEqual([0x0a, 9, 0x0a, 2, 0x61, 0x62, 0x12, 3, 1, 2, 3]);
    expect(Array.from(encodeKeyValues([{ key: 'a', value: null }]))).toEqual([0x0a, 3, 0x0a, 1, 0x61]);
    expect(Array.from(encodeKeys(['a', '']))).toEqual([0x0a, 1, 0x61, 0x0a, 0]);
    // a 300-byte value: length 300 = varint ac 02
    expect(Array.from(encodeKeyValues([{ key: '', value: new Uint8Array(300) }]).subarray(0, 6))).toEqual([0x0a, 0xaf, 0x02, 0x12, 0xac, 0x02]);
  });

  it('proto3: an empty value is omitted and decodes as null, like a missing key', () => {
    const bytes = encodeKeyValues([{ key: 'k', value: new Uint8Array(0) }]);
    expect(decodeKeyValues(bytes)).toEqual([{ key: 'k', value: null }]);
  });

  it('cross-check: protobufjs decodes what we encode', () => {
    fc.assert(
      fc.property(kvArb, (kvs) => {
        const theirs = PbKeyValues.toObject(PbKeyValues.decode(encodeKeyValues(kvs)), { defaults: true }) as { kvs: PbKv[] };
        expect(theirs.kvs.map((kv) => ({ key: kv.key, value: Array.from(kv.value ?? []) }))).toEqual(kvs.map((kv) => ({ key: kv.key, value: Array.from(kv.value ?? []) })));
      }),
      fcParams,
    );
  });

  it('cross-check: we decode what protobufjs encodes, byte-identical when every field is non-empty', () => {
    fc.assert(
      fc.property(kvArb, (kvs) => {
        const msg = PbKeyValues.create({ kvs: kvs.map((kv) => (kv.value === null ? { key: kv.key } : { key: kv.key, value: kv.value })) });
        const theirs = PbKeyValues.encode(msg).finish();
        const mine = decodeKeyValues(theirs);
        // proto3: protobufjs omits an empty value too, so empty and absent both decode as null.
        expect(mine.map((kv) => ({ key: kv.key, value: norm(kv.value) }))).toEqual(kvs.map((kv) => ({ key: kv.key, value: norm(kv.value) })));
        const full = kvs.filter((kv) => kv.key !== '' && kv.value !== null && kv.value.length > 0);
        expect(encodeKeyValues(full)).toEqual(new Uint8Array(PbKeyValues.encode(PbKeyValues.create({ kvs: full })).finish()));
      }),
      fcParams,
    );
  });

  it('cross-check: Keys with key_ranges both ways', () => {
    const rangeArb = fc.array(fc.record({ key: keyArb, byteStart: fc.nat(), byteEnd: fc.maxSafeNat() }), { maxLength: 5 });
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 10 }), rangeArb, (keys, ranges) => {
        const theirs = PbKeys.toObject(PbKeys.decode(encodeKeysMessage(keys, ranges)), { defaults: true, longs: Number }) as {
          keys: string[];
          keyRanges: Array<{ key: string; byteStart: number; byteEnd: number }>;
        };
        expect(theirs.keys).toEqual(keys);
        expect(theirs.keyRanges).toEqual(ranges);
        const back = decodeKeysMessage(PbKeys.encode(PbKeys.create({ keys, keyRanges: ranges })).finish());
        expect(back).toEqual({ keys, keyRanges: ranges });
      }),
      fcParams,
    );
  });

  it('decodeKeys refuses to drop key_ranges silently', () => {
    const bytes = encodeKeysMessage(['a'], [{ key: 'b', byteStart: 0, byteEnd: 9 }]);
    expect(formatErrorOf(() => decodeKeys(bytes)).reason).toMatch(/key_ranges/);
    expect(decodeKeys(encodeKeys(['a', 'b']))).toEqual(['a', 'b']);
  });

  it('skips unknown fields of every wire type, as protobuf readers must', () => {
    const v2 = PbKeyValuesV2.encode(
      PbKeyValuesV2.create({ count: 2, kvs: [{ key: 'a', value: new Uint8Array([9]), extraFixed: 12345, extraVarint: -5, extraText: 'zz', extraF32: 7 }, { key: 'b' }] }),
    ).finish();
    expect(decodeKeyValues(v2)).toEqual([
      { key: 'a', value: new Uint8Array([9]) },
      { key: 'b', value: null },
    ] satisfies KeyValue[]);
  });

  it.each([
    ['a length beyond the end', [0x0a, 0x05, 0x0a, 0x01], 1, /exceeds/],
    ['a truncated varint', [0x0a, 0x80], 1, /inside a varint/],
    ['an 11-byte varint', [0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01], 1, /longer than 10/],
    ['a length of 2^60', [0x0a, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10], 1, /exceeds 2\^53/],
    ['a group wire type', [0x0b], 0, /wire type 3/],
    ['kvs with wire type 0', [0x08, 0x01], 0, /wire type 0, expected 2/],
    ['field number 0', [0x02, 0x00], 0, /field number 0/],
    ['invalid UTF-8 in a key', [0x0a, 0x03, 0x0a, 0x01, 0xff], 4, /UTF-8/],
    ['a truncated fixed64', [0x19, 1, 2, 3], 0, /8-byte field/],
  ])('rejects %s', (_name, bytes, offset, reason) => {
    const e = formatErrorOf(() => decodeKeyValues(new Uint8Array(bytes)));
    expect(e.offset).toBe(offset);
    expect(e.reason).toMatch(reason);
  });

  it('enforces the size bound', () => {
    expect(formatErrorOf(() => decodeKeyValues(new Uint8Array(10), { maxBytes: 5 })).reason).toMatch(/limit/);
  });

  it('damaged messages decode or throw FormatError', async () => {
    const valid = encodeKeyValues([
      { key: '5813_swc', value: new TextEncoder().encode('1 1 0 0 0 1 -1\n'.repeat(20)) },
      { key: 'missing', value: null },
      { key: 'ü', value: new Uint8Array(200).fill(7) },
    ]);
    expect(await fuzzOutcomes(valid, decodeKeyValues)).toEqual(new Set(['ok', 'format-error']));
    expect(await fuzzOutcomes(encodeKeysMessage(['a', 'bc'], [{ key: 'd', byteStart: 5, byteEnd: 300 }]), (b) => decodeKeysMessage(b))).toContain('format-error');
  });
});
