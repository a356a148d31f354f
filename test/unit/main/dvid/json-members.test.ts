import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FormatError } from '../../../../main/formats/format-error';
import { JsonMemberByteSplitter, JsonMemberSplitter, type JsonMember, type JsonMemberBytes } from '../../../../main/dvid/json-members';

const enc = (s: string) => new TextEncoder().encode(s);

/** Feeds `bytes` cut at `cuts` and returns all members. */
function split(bytes: Uint8Array, cuts: number[] = [], opts: Partial<ConstructorParameters<typeof JsonMemberSplitter>[0]> = {}): JsonMember[] {
  const p = new JsonMemberSplitter({ maxMemberBytes: 1 << 20, ...opts });
  const out: JsonMember[] = [];
  let prev = 0;
  for (const cut of [...new Set(cuts)].toSorted((a, b) => a - b).filter((c) => c > 0 && c < bytes.length)) {
    out.push(...p.push(bytes.subarray(prev, cut)));
    prev = cut;
  }
  out.push(...p.push(bytes.subarray(prev)));
  p.finish();
  return out;
}

describe('JsonMemberSplitter', () => {
  it('splits arrays and objects into members, keeping each value text exact', () => {
    const arr = '[ {"Action":"merge","Labels":[1,2],"Note":"a ] } \\" [ tricky"} ,18446744073709551615, "x\\\\", null,true ]';
    expect(split(enc(arr)).map((m) => [m.key, m.text])).toEqual([
      [null, '{"Action":"merge","Labels":[1,2],"Note":"a ] } \\" [ tricky"}'],
      [null, '18446744073709551615'],
      [null, '"x\\\\"'],
      [null, 'null'],
      [null, 'true'],
    ]);
    const obj = '{"10,2,-3":[{"Pos":[1,2,3]}],"a\\"b": {} ,"k":"v"}';
    expect(split(enc(obj)).map((m) => [m.key, m.text])).toEqual([
      ['10,2,-3', '[{"Pos":[1,2,3]}]'],
      ['a"b', '{}'],
      ['k', '"v"'],
    ]);
  });

  it('reads empty containers and (when allowed) a bare null as no members', () => {
    expect(split(enc('[]'))).toEqual([]);
    expect(split(enc(' {\n} \n'))).toEqual([]);
    expect(split(enc('null'), [], { allowNull: true })).toEqual([]);
    expect(() => split(enc('null'))).toThrow(FormatError);
  });

  it('gives the same members however the bytes are chunked (multi-byte characters included)', () => {
    const value = fc.jsonValue({ maxDepth: 3 });
    fc.assert(
      fc.property(
        fc.oneof(fc.array(value, { maxLength: 6 }), fc.dictionary(fc.string({ unit: 'grapheme' }), value, { maxKeys: 6 })),
        fc.array(fc.nat(), { maxLength: 8 }),
        (container, rawCuts) => {
          const text = JSON.stringify(container);
          const bytes = enc(text);
          const cuts = rawCuts.map((c) => c % (bytes.length + 1));
          const members = split(bytes, cuts);
          const parsed: unknown = JSON.parse(text); // what JSON itself keeps (-0 becomes 0)
          const expected = Array.isArray(parsed)
            ? parsed.map((v) => [null, v])
            : Object.entries(parsed as Record<string, unknown>).map(([k, v]) => [k, v]);
          expect(members.map((m) => [m.key, JSON.parse(m.text)])).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('as bytes: the same members, each an exact copy with a buffer of its own, however the bytes are chunked', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ unit: 'grapheme' }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (container, rawCuts) => {
          const bytes = enc(JSON.stringify(container));
          const cuts = [...new Set(rawCuts.map((c) => c % (bytes.length + 1)))].toSorted((a, b) => a - b).filter((c) => c > 0 && c < bytes.length);
          const p = new JsonMemberByteSplitter({ maxMemberBytes: 1 << 20 });
          const got: JsonMemberBytes[] = [];
          let prev = 0;
          for (const cut of [...cuts, bytes.length]) {
            got.push(...p.push(bytes.subarray(prev, cut)));
            prev = cut;
          }
          p.finish();
          const text = split(bytes, cuts);
          expect(got.map((m) => [m.key, new TextDecoder().decode(m.bytes)])).toEqual(text.map((m) => [m.key, m.text]));
          for (const m of got) expect([m.bytes.byteOffset, m.bytes.buffer.byteLength]).toEqual([0, m.bytes.length]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns the members before bad bytes, then fails at the first bad byte: where DVID error text begins', () => {
    const json = '[{"a":1},{"b":2}]';
    const text = 'unable to finish (/api/node/x/seg/mutations).\n';
    const p = new JsonMemberSplitter({ maxMemberBytes: 1000 });
    expect(p.push(enc(json + text)).map((m) => m.text)).toEqual(['{"a":1}', '{"b":2}']);
    expect(() => p.push(new Uint8Array(0))).toThrow(expect.objectContaining({ offset: json.length }));
    expect(() => p.finish()).toThrow(FormatError);
    // Error text in place of a separator, in the same chunk as a complete member.
    const q = new JsonMemberSplitter({ maxMemberBytes: 1000 });
    expect(q.push(enc(`[{"a":1}${text}`))).toHaveLength(1);
    expect(() => q.finish()).toThrow(expect.objectContaining({ offset: 8 }));
  });

  it('reports a stream that ends inside the JSON at finish, not before', () => {
    const p = new JsonMemberSplitter({ maxMemberBytes: 1000 });
    expect(p.push(enc('[{"a":1},{"b":'))).toHaveLength(1);
    expect(() => p.finish()).toThrow(FormatError);
  });

  it('bounds one member instead of growing without limit', () => {
    const p = new JsonMemberSplitter({ maxMemberBytes: 100 });
    p.push(enc(`["${'x'.repeat(60)}`));
    p.push(enc(`${'y'.repeat(60)}"]`));
    expect(() => p.finish()).toThrow(/exceeds 100 bytes/);
  });

  it('rejects malformed structure with the offset of the bad byte', () => {
    expect(() => split(enc('{"a" 1}'))).toThrow(expect.objectContaining({ offset: 5 }));
    expect(() => split(enc('[1,]x'))).toThrow(FormatError);
    expect(() => split(enc('x'))).toThrow(expect.objectContaining({ offset: 0 }));
  });
});
