/**
 * The annotation packing task, through a real worker pool: each block's JSON comes back packed exactly
 * as the cache packs parsed elements on its own thread, and a malformed block fails alone, naming what
 * was wrong, while the rest of its batch is packed.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { parseElements } from '../../../../main/formats/annotation';
import { packElements, unpackElements } from '../../../../main/formats/element-pack';
import { WorkerPool } from '../../../../main/workers/pool';
import { packAnnotationBlocksTask } from '../../../../main/workers/tasks/pack-annotation-blocks';

const pool = new WorkerPool({ size: 1 });
const utf8 = (t: string) => new Uint8Array(Buffer.from(t));
afterAll(() => pool.close());

const synapse = (x: number, kind: 'PreSyn' | 'PostSyn', to: number, prop: Record<string, string> = {}) =>
  ({ Pos: [x, 7, 9], Kind: kind, Tags: x % 2 ? ['t'] : [], Prop: prop, Rels: [{ Rel: kind === 'PreSyn' ? 'PreSynTo' : 'PostSynTo', To: [to, 7, 9] }] });

describe('packAnnotationBlocks task', () => {
  it('packs each block as packElements does, and fails a bad block alone', async () => {
    const good1 = JSON.stringify([synapse(5, 'PreSyn', 6, { conf: '0.9' }), synapse(6, 'PostSyn', 5), synapse(1, 'PostSyn', 5)]);
    const good2 = 'null';
    const badJson = '[{"Pos": [1, 2, 3], "Kind": "PreSyn"';
    const badKind = JSON.stringify([{ Pos: [1, 2, 3], Kind: 'Mitochondrion', Tags: [], Prop: {}, Rels: [] }]);
    const twice = JSON.stringify([synapse(5, 'PreSyn', 6), synapse(5, 'PostSyn', 6)]);
    const badUtf8 = Uint8Array.of(0x5b, 0xff, 0xfe, 0x5d);
    const out = await pool.run(packAnnotationBlocksTask, { blocks: [good1, badJson, good2, badKind, twice].map(utf8).concat([badUtf8]) });
    expect(out).toHaveLength(6);
    const want = packElements(parseElements(good1));
    const got = out[0]!;
    if ('error' in got) throw new Error(got.error);
    expect(Buffer.from(got.data).equals(Buffer.from(want.data))).toBe(true);
    expect([got.count, got.props, got.tags]).toEqual([want.count, want.props, want.tags]);
    expect(unpackElements(got.data, got.props, got.tags).map((e) => e.pos[0])).toEqual([1, 5, 6]); // sorted by position
    expect(out[2]).toMatchObject({ count: 0 });
    expect(out[1]).toEqual({ error: expect.stringMatching(/annotation|JSON|offset/i) });
    expect(out[3]).toEqual({ error: expect.stringMatching(/Mitochondrion|Kind/) });
    expect(out[4]).toEqual({ error: expect.stringMatching(/two elements at 5,7,9/) });
    expect(out[5]).toEqual({ error: expect.stringMatching(/UTF-8/) });
  });
});
