import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../../main/formats/format-error';
import { encodeKeyValues, type KeyValue } from '../../../../main/formats/kv-protobuf';
import { KeyValuesStreamParser } from '../../../../main/dvid/kv-stream';

const norm = (kvs: KeyValue[]) => kvs.map((kv) => [kv.key, kv.value === null || kv.value.length === 0 ? '' : Buffer.from(kv.value).toString('hex')]);

describe('KeyValuesStreamParser', () => {
  it('frames a KeyValues body entry by entry, however it is chunked', () => {
    const kv = fc.record({ key: fc.string({ minLength: 1 }), value: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: null }) });
    fc.assert(
      fc.property(fc.array(kv, { maxLength: 20 }), fc.integer({ min: 1, max: 400 }), (kvs, step) => {
        const bytes = encodeKeyValues(kvs);
        const p = new KeyValuesStreamParser(1 << 20);
        const got: KeyValue[] = [];
        for (let i = 0; i < bytes.length; i += step) got.push(...p.push(bytes.subarray(i, i + step)));
        p.finish();
        expect(norm(got)).toEqual(norm(kvs));
      }),
      { numRuns: 100 },
    );
  });

  it('delivers whole entries before a cut, then fails at finish', () => {
    const bytes = encodeKeyValues([
      { key: 'a', value: new Uint8Array([1, 2, 3]) },
      { key: 'b', value: new Uint8Array(50) },
    ]);
    const p = new KeyValuesStreamParser(1 << 20);
    expect(p.push(bytes.subarray(0, bytes.length - 10)).map((k) => k.key)).toEqual(['a']);
    expect(() => p.finish()).toThrow(FormatError);
  });

  it('bounds an entry before buffering it', () => {
    const bytes = encodeKeyValues([{ key: 'big', value: new Uint8Array(5000) }]);
    const p = new KeyValuesStreamParser(1000);
    expect(p.push(bytes.subarray(0, 10))).toEqual([]);
    expect(() => p.finish()).toThrow(/exceeds 1000/);
  });

  it('rejects a field other than kvs at its offset (e.g. DVID error text)', () => {
    const good = encodeKeyValues([{ key: 'a', value: new Uint8Array([7]) }]);
    const p = new KeyValuesStreamParser(1000);
    const text = new TextEncoder().encode('unable to get (/api/node/x/kv/keyvalues).\n');
    expect(p.push(new Uint8Array([...good, ...text])).map((k) => k.key)).toEqual(['a']);
    expect(() => p.push(new Uint8Array(0))).toThrow(expect.objectContaining({ offset: good.length }));
  });
});
