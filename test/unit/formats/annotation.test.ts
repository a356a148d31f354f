import * as fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseBlockElements, parseBlockKey, parseElements, serializeBlockElements, serializeElements, type AnnotationElement } from '../../../main/formats/annotation';
import { fcParams, formatErrorOf, fuzzOutcomes } from './helpers';

// As DVID answers /elements (Go's encoding/json of annotation.Element; Prop keys sorted).
const DVID_TEXT =
  '[{"Pos":[4168,3574,4955],"Kind":"PreSyn","Tags":null,"Prop":{"conf":"0.931","user":"$fpl"},"Rels":[{"Rel":"PreSynTo","To":[4170,3580,4951]},{"Rel":"PreSynTo","To":[4160,3570,4960]}]},' +
  '{"Pos":[4170,3580,4951],"Kind":"PostSyn","Tags":["tagA"],"Prop":null,"Rels":[{"Rel":"PostSynTo","To":[4168,3574,4955]}]},' +
  '{"Pos":[-5,0,7],"Kind":"Note","Tags":null,"Prop":{"action":"merge","checked":"0"},"Rels":null}]';

const i32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const point = fc.tuple(i32, i32, i32);
const elementArb: fc.Arbitrary<AnnotationElement> = fc.record({
  pos: point,
  kind: fc.constantFrom('PreSyn', 'PostSyn', 'Gap', 'Note', 'Unknown'),
  tags: fc.array(fc.string(), { maxLength: 3 }),
  prop: fc.dictionary(fc.string(), fc.string(), { maxKeys: 4 }),
  rels: fc.array(fc.record({ rel: fc.constantFrom('PreSynTo', 'PostSynTo', 'ConvergentTo', 'GroupedWith', 'UnknownRelationship'), to: point }), { maxLength: 3 }),
});

describe('annotation elements', () => {
  it('reads DVID JSON; null Tags/Prop/Rels become empty', () => {
    const els = parseElements(DVID_TEXT);
    expect(els).toHaveLength(3);
    expect(els[0]).toEqual({
      pos: [4168, 3574, 4955],
      kind: 'PreSyn',
      tags: [],
      prop: { conf: '0.931', user: '$fpl' },
      rels: [
        { rel: 'PreSynTo', to: [4170, 3580, 4951] },
        { rel: 'PreSynTo', to: [4160, 3570, 4960] },
      ],
    } satisfies AnnotationElement);
    expect(els[1]?.prop).toEqual({});
    expect(els[2]).toEqual({ pos: [-5, 0, 7], kind: 'Note', tags: [], prop: { action: 'merge', checked: '0' }, rels: [] });
  });

  it('a null list (empty /elements, /roi) is []; /label reads without Rels have rels []; absent Kind is Unknown', () => {
    expect(parseElements('null')).toEqual([]);
    expect(parseElements(' [] ')).toEqual([]);
    expect(parseElements('[{"Pos":[1,2,3],"Kind":"PostSyn","Tags":["a"],"Prop":{}}]')[0]?.rels).toEqual([]);
    expect(parseElements('[{"Pos":[1,2,3]}]')[0]?.kind).toBe('Unknown');
  });

  it('matches keys case-insensitively and ignores unknown ones, as Go does (e.g. verbose partner fields)', () => {
    const els = parseElements('[{"pos":[1,2,3],"kind":"Gap","rels":[{"rel":"GroupedWith","to":[4,5,6],"Kind":"Gap","Prop":{"x":"y"}}],"Extra":1}]');
    expect(els[0]).toEqual({ pos: [1, 2, 3], kind: 'Gap', tags: [], prop: {}, rels: [{ rel: 'GroupedWith', to: [4, 5, 6] }] });
  });

  it.each([
    ['a numeric Prop value (DVID answers 400)', '[{"Pos":[1,2,3],"Kind":"PreSyn","Prop":{"conf":0.93}}]', /Prop "conf" is 0.93: DVID requires string values/],
    ['an unknown Kind', '[{"Pos":[1,2,3],"Kind":"Synapse"}]', /unknown Kind "Synapse"/],
    ['an unknown Rel', '[{"Pos":[1,2,3],"Kind":"PreSyn","Rels":[{"Rel":"Likes","To":[1,1,1]}]}]', /Rels\[0\]: unknown Rel "Likes"/],
    ['a 2-element Pos', '[{"Pos":[1,2],"Kind":"PreSyn"}]', /Pos: expected \[x, y, z\]/],
    ['a fractional coordinate', '[{"Pos":[1,2,3.5],"Kind":"PreSyn"}]', /not an int32/],
    ['a coordinate beyond int32', '[{"Pos":[1,2,2147483648],"Kind":"PreSyn"}]', /not an int32/],
    ['a missing Pos', '[{"Kind":"PreSyn"}]', /Pos/],
    ['a non-string tag', '[{"Pos":[1,2,3],"Tags":[5]}]', /tag 5/],
    ['a non-object element', '[5]', /element #0: is not a JSON object/],
    ['an object at the top', '{"Pos":[1,2,3]}', /array/],
    ['truncated JSON (a stream cut, or an error text after a 200)', `${DVID_TEXT.slice(0, 100)}`, /invalid JSON/],
  ])('rejects %s', (_name, text, reason) => {
    expect(formatErrorOf(() => parseElements(text)).reason).toMatch(reason);
  });

  it('the /blocks and /all-elements shape, keyed "bx,by,bz"', () => {
    const blocks = parseBlockElements(`{"65,55,77": ${DVID_TEXT}, "-1,0,2": null}`);
    expect([...blocks.keys()]).toEqual(['65,55,77', '-1,0,2']);
    expect(blocks.get('65,55,77')).toHaveLength(3);
    expect(blocks.get('-1,0,2')).toEqual([]);
    expect(parseBlockKey('-1,0,2')).toEqual([-1, 0, 2]);
    expect(formatErrorOf(() => parseBlockElements('{"1,2": []}')).reason).toMatch(/"1,2" is not "bx,by,bz"/);
    expect(formatErrorOf(() => parseBlockElements('[]')).reason).toMatch(/object keyed/);
    expect(formatErrorOf(() => parseBlockElements('{"1,2,3": [{"Pos":[1,2,3],"Prop":{"a":1}}]}')).reason).toMatch(/block 1,2,3 element #0/);
  });

  it('serialises DVID JSON (Pos, Kind, Tags, Prop, Rels; Prop keys sorted) and round-trips', () => {
    const el: AnnotationElement = { pos: [1, -2, 3], kind: 'PreSyn', tags: ['b'], prop: { user: 'u', conf: '0.5' }, rels: [{ rel: 'PreSynTo', to: [4, 5, 6] }] };
    expect(serializeElements([el])).toBe('[{"Pos":[1,-2,3],"Kind":"PreSyn","Tags":["b"],"Prop":{"conf":"0.5","user":"u"},"Rels":[{"Rel":"PreSynTo","To":[4,5,6]}]}]');
    fc.assert(
      fc.property(fc.array(elementArb, { maxLength: 10 }), (els) => {
        expect(parseElements(serializeElements(els))).toEqual(els);
        const blocks = new Map([['0,0,0', els]]);
        expect(parseBlockElements(serializeBlockElements(blocks)).get('0,0,0') ?? []).toEqual(els);
      }),
      fcParams,
    );
  });

  it('a Prop key named __proto__ is data, not a prototype', () => {
    const els = parseElements('[{"Pos":[1,2,3],"Prop":{"__proto__":"x"}}]');
    expect(Object.keys(els[0]?.prop ?? {})).toEqual(['__proto__']);
    expect(parseElements(serializeElements(els))).toEqual(els);
  });

  it('serializeElements refuses invalid elements', () => {
    const bad = { pos: [0, 0, 0], kind: 'PreSyn', tags: [], prop: { conf: 0.5 }, rels: [] } as unknown as AnnotationElement;
    expect(() => serializeElements([bad])).toThrow(RangeError);
    expect(() => serializeElements([{ ...bad, prop: {}, kind: 'Bogus' } as unknown as AnnotationElement])).toThrow(RangeError);
  });

  it('damaged element JSON parses or throws FormatError', async () => {
    expect(await fuzzOutcomes(new TextEncoder().encode(DVID_TEXT), (b) => parseElements(new TextDecoder().decode(b)))).toEqual(new Set(['ok', 'format-error']));
  });
});
