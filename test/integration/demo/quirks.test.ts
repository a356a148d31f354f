/**
 * DVID's conventions as a client meets them: 400 texts for "not found", empty 404s, null lists,
 * GET with a body, UUID prefixes and branches, locked nodes refusing writes, writes on the open
 * node that show up everywhere they should.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeKeyValues, encodeKeys, encodeKeyValues } from '../../../main/formats/kv-protobuf';
import { parseU64Array } from '../../../main/formats/json-u64';
import { readTar } from '../../../main/formats/tar';
import type { DemoServer } from '../../../main/demo/index';
import { http, json, seg, startSmallDemo } from '../../support/demo';

let demo: DemoServer;
let root: string, child: string;

beforeAll(async () => {
  demo = await startSmallDemo();
  root = demo.uuids.root;
  child = demo.uuids.child;
}, 60_000);

afterAll(async () => {
  await demo?.close();
});

const text400 = (message: string, path: string): string => `${message} (${path}).\n`;

describe('errors as DVID sends them', () => {
  it('400 with "<message> (<path>).\\n", text/plain and nosniff', async () => {
    const cases: Array<[string, string]> = [
      [`/api/node/${child}/nope/info`, 'invalid data instance name'],
      ['/api/node/zzzz/segmentation/info', 'could not find UUID with partial match to zzzz'],
      [`/api/node/${root[0]}/segmentation/info`, `more than one UUID matches ${root[0]}`],
      [`/api/node/${child}/segmentation/size/0`, 'Label 0 is protected background value and cannot be queried as body.\n'],
      [`/api/node/${child}/segmentation/size/abc`, 'strconv.ParseUint: parsing "abc": invalid syntax'],
      [`/api/node/${child}/segmentation/blocks/64_64_64/1_0_0`, "cannot use labels via 'blocks' endpoint in non-block aligned geometry (1,0,0) -> (64,63,63)"],
      [`/api/node/${child}/segmentation/blocks/64_64_64/0_0_0?compression=zip`, 'compression must be "lz4" (default), "gzip", "blocks" or "uncompressed"'],
      [`/api/node/${child}/synapses_labelsz/top/5/Bogus`, 'unknown index type specified ("Bogus")'],
      [`/api/node/${child}/synapses/roi/FB`, '/roi endpoint currently requires ROI "FB" to have same block size as annotation "synapses"'],
    ];
    for (const [path, message] of cases) {
      const r = await http(demo.url, path);
      expect(r.status).toBe(400);
      // DVID quotes the URL path, without the query.
      expect(r.text).toBe(text400(message, path.split('?')[0]!));
      expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
    }
    const bad = await http(demo.url, `/api/node/${child}/segmentation/frobnicate`);
    expect(bad.status).toBe(400);
    expect(bad.text).toBe(`Bad API call (/api/node/${child}/segmentation/frobnicate) for data "segmentation".  See API help at http://127.0.0.1:${demo.port}/api/help/labelmap\n`);
  });

  it('404 with an empty body where DVID does that, and the keyvalue text 404', async () => {
    for (const ep of ['size', 'lastmod', 'supervoxels', 'supervoxel-sizes', 'sparsevol', 'sparsevol-size', 'sparsevol-coarse']) {
      const r = await http(demo.url, `/api/node/${child}/segmentation/${ep}/12345`);
      expect([ep, r.status, r.text, r.headers['content-type']]).toEqual([ep, 404, '', undefined]);
    }
    const k = await http(demo.url, `/api/node/${child}/segmentation_annotations/key/nope`);
    expect([k.status, k.text]).toEqual([404, 'Key "nope" not found\n']);
    expect((await http(demo.url, `/api/node/${child}/segmentation_annotations/key/nope`, { method: 'HEAD' })).status).toBe(404);
    const body = demo.truth.story.mergeTarget;
    expect((await http(demo.url, `/api/node/${child}/segmentation/sparsevol/${body}`, { method: 'HEAD' })).status).toBe(200);
    expect((await http(demo.url, `/api/node/${child}/segmentation/sparsevol/12345`, { method: 'HEAD' })).status).toBe(204);
  });

  it('null for an empty /elements, [] for an unknown /label', async () => {
    expect((await http(demo.url, `/api/node/${child}/synapses/elements/1_1_1/0_0_0`)).text).toBe('null');
    expect((await http(demo.url, `/api/node/${child}/synapses/label/12345`)).text).toBe('[]');
    expect((await http(demo.url, `/api/node/${child}/synapses/tag/nope`)).text).toBe('[]');
  });
});

describe('addressing nodes', () => {
  it('accepts unique prefixes, prefix:branch, :branch and ~N', async () => {
    const status = async (spec: string): Promise<unknown> => json(demo.url, `/api/node/${spec}/status`);
    expect(await status(child.slice(0, 3))).toEqual({ Locked: false });
    expect(await status(root.slice(0, 3))).toEqual({ Locked: true });
    expect(await status(`${root.slice(0, 4)}:master`)).toEqual({ Locked: false });
    expect(await status(':master')).toEqual({ Locked: false });
    expect(await status(':master~1')).toEqual({ Locked: true });
    expect(await json(demo.url, `/api/repo/${root}/branch-versions/master`)).toEqual([child, root]);
    const r = await http(demo.url, `/api/node/${root.slice(0, 4)}:nobranch/status`);
    expect(r.text).toBe(text400(`branch "nobranch" not found in repo "${root}"`, `/api/node/${root.slice(0, 4)}:nobranch/status`));
  });

  it('describes the DAG with VersionIDs and MaxLabel keyed by VersionID', async () => {
    const info = await json<{ Root: string; DAG: { Nodes: Record<string, { VersionID: number; Parents: number[]; Children: number[]; Locked: boolean }> }; DataInstances: Record<string, { Extended: { MaxLabel?: Record<string, number> } }> }>(demo.url, `/api/repo/${child.slice(0, 5)}/info`);
    expect(info.Root).toBe(root);
    expect(info.DAG.Nodes[root]).toMatchObject({ VersionID: 1, Parents: [], Children: [2], Locked: true });
    expect(info.DAG.Nodes[child]).toMatchObject({ VersionID: 2, Parents: [1], Children: [], Locked: false });
    expect(Object.keys(info.DataInstances.segmentation!.Extended.MaxLabel!).toSorted()).toEqual(['1', '2']);
    const repos = await json<Record<string, unknown>>(demo.url, '/api/repos/info');
    expect(Object.keys(repos)).toEqual([root]);
    const server = await json<Record<string, unknown>>(demo.url, '/api/server/info');
    expect(Object.values(server).every((v) => typeof v === 'string')).toBe(true);
  });
});

describe('reads that take a body on GET', () => {
  it('/mapping, /sizes and labelsz /counts read JSON bodies; POST on them is refused', async () => {
    const b = demo.truth.story.bigBody;
    expect((await http(demo.url, `/api/node/${child}/segmentation/sizes`, { body: `[${b}]` })).text).toMatch(/^\[\d+\]$/);
    expect((await http(demo.url, `/api/node/${child}/segmentation/mapping`, { body: '[1]' })).text).toBe('[0]');
    expect((await http(demo.url, `/api/node/${child}/segmentation/mapping?nolookup=true`, { body: '[1]' })).text).toBe('[1]');
    const post = await http(demo.url, `/api/node/${child}/segmentation/mapping`, { method: 'POST', body: '[1]' });
    expect(post.text).toBe(text400('Batch mapping query must be a GET request', `/api/node/${child}/segmentation/mapping`));
  });

  it('/keyvalues answers protobuf, JSON and tar bodies alike; a missing key has no value', async () => {
    const keys = (await json<string[]>(demo.url, `/api/node/${child}/segmentation_annotations/keys`)).slice(0, 3);
    const proto = decodeKeyValues((await http(demo.url, `/api/node/${child}/segmentation_annotations/keyvalues`, { body: encodeKeys([...keys, 'missing']) })).body);
    expect(proto.map((kv) => kv.key)).toEqual([...keys, 'missing']);
    expect(proto[3]!.value).toBeNull();
    const asJson = JSON.parse((await http(demo.url, `/api/node/${child}/segmentation_annotations/keyvalues?json=true`, { body: JSON.stringify([...keys, 'missing']) })).text);
    expect(asJson.missing).toEqual({});
    const tar = readTar((await http(demo.url, `/api/node/${child}/segmentation_annotations/keyvalues?jsontar=true`, { body: JSON.stringify(keys) })).body);
    keys.forEach((k, i) => {
      const text = new TextDecoder().decode(proto[i]!.value!);
      expect(JSON.parse(text)).toEqual(asJson[k]);
      expect(new TextDecoder().decode(tar[i]!.data)).toBe(text);
    });
  });

  it('/keyrange is inclusive in byte order; keyrangevalues agrees in protobuf, JSON and tar', async () => {
    const all = await json<string[]>(demo.url, `/api/node/${child}/segmentation_meshes/keys`);
    expect(all).toEqual([...all].toSorted((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    const [lo, hi] = [all[2]!, all[6]!];
    expect(await json(demo.url, `/api/node/${child}/segmentation_meshes/keyrange/${lo}/${hi}`)).toEqual(all.slice(2, 7));
    const ann = await json<string[]>(demo.url, `/api/node/${child}/segmentation_annotations/keyrange/1/2`);
    const json1 = JSON.parse((await http(demo.url, `/api/node/${child}/segmentation_annotations/keyrangevalues/1/2?json=true`)).text);
    // (JS objects reorder integer-like keys, so compare as sets here; protobuf and tar keep the order.)
    expect(Object.keys(json1).toSorted()).toEqual(ann.toSorted());
    const proto = decodeKeyValues((await http(demo.url, `/api/node/${child}/segmentation_annotations/keyrangevalues/1/2`)).body);
    const tar = readTar((await http(demo.url, `/api/node/${child}/segmentation_annotations/keyrangevalues/1/2?tar=true`)).body);
    expect(proto.map((p) => p.key)).toEqual(ann);
    expect(tar.map((t) => t.name)).toEqual(ann);
  });
});

describe('writes', () => {
  it('are refused on the locked root with DVID\'s message; ptquery (a read) is not', async () => {
    const path = `/api/node/${root}/segmentation_annotations/key/x`;
    const r = await http(demo.url, path, { method: 'POST', body: '{}' });
    expect(r.text).toBe(text400(`Cannot do POST on endpoint "key" of locked node ${root}`, path));
    const del = await http(demo.url, `/api/node/${root}/synapses/element/1_2_3`, { method: 'DELETE' });
    expect(del.text).toBe(text400(`Cannot do DELETE on endpoint "element" of locked node ${root}`, `/api/node/${root}/synapses/element/1_2_3`));
    expect((await http(demo.url, `/api/node/${root}/${seg("a'L(R)")}/ptquery`, { method: 'POST', body: '[[0,0,0]]' })).text).toBe('[false]');
    expect((await http(demo.url, `/api/node/${root}/note`, { method: 'POST', body: '{"note":"x"}' })).text).toBe(text400(`Cannot do post on locked node ${root}`, `/api/node/${root}/note`));
  });

  it('keyvalue POST, HEAD, GET, DELETE on the open node, logged in /mutations', async () => {
    const base = `/api/node/${child}/segmentation_annotations`;
    expect((await http(demo.url, `${base}/key/review-test`, { method: 'POST', body: '{"status":"Traced"}' })).status).toBe(200);
    expect((await http(demo.url, `${base}/key/review-test`, { method: 'HEAD' })).status).toBe(200);
    const got = await http(demo.url, `${base}/key/review-test`);
    expect([got.text, got.headers['content-type']]).toEqual(['{"status":"Traced"}', 'application/octet-stream']);
    expect(await json<string[]>(demo.url, `${base}/keys`)).toContain('review-test');
    // The root does not see it.
    expect((await http(demo.url, `/api/node/${root}/segmentation_annotations/key/review-test`)).status).toBe(404);
    expect((await http(demo.url, `${base}/keyvalues`, { method: 'POST', body: encodeKeyValues([{ key: 'bulk-test', value: new TextEncoder().encode('{}') }]) })).status).toBe(200);
    expect((await http(demo.url, `${base}/key/review-test`, { method: 'DELETE' })).status).toBe(200);
    expect((await http(demo.url, `${base}/key/review-test`)).status).toBe(404);
    const log = JSON.parse((await http(demo.url, `${base}/mutations`)).text) as Array<{ Action: string; Key: string; UUID: string }>;
    expect(log.slice(-3).map((l) => [l.Action, l.Key, l.UUID])).toEqual([
      ['postkv', 'review-test', child],
      ['postkv', 'bulk-test', child],
      ['delete', 'review-test', child],
    ]);
  });

  it('annotation POST /elements and DELETE /element on the open node update blocks, labels and labelsz', async () => {
    const body = demo.truth.story.cleaveNew;
    const before = await json<Array<{ Pos: number[] }>>(demo.url, `/api/node/${child}/synapses/label/${body}`);
    const count = async (): Promise<number> => (await json<Record<string, number>>(demo.url, `/api/node/${child}/synapses_labelsz/count/${body}/PreSyn`)).PreSyn!;
    const n0 = await count();
    // A voxel of the body: one of its synapse positions, moved by one voxel until it is free and still in the body.
    const labels = async (pts: number[][]): Promise<string[]> => parseU64Array((await http(demo.url, `/api/node/${child}/segmentation/labels`, { body: JSON.stringify(pts) })).text).map(String);
    const taken = new Set(before.map((e) => e.Pos.join(',')));
    const cands = before.flatMap((e) => [[e.Pos[0]! + 1, e.Pos[1]!, e.Pos[2]!], [e.Pos[0]! - 1, e.Pos[1]!, e.Pos[2]!], [e.Pos[0]!, e.Pos[1]! + 1, e.Pos[2]!]]).filter((p) => !taken.has(p.join(',')));
    const ls = await labels(cands);
    const pos = cands[ls.findIndex((l) => l === String(body))]!;
    const el = { Pos: pos, Kind: 'PreSyn', Tags: ['review'], Prop: { conf: '1.0', user: 'tester' }, Rels: [] };
    const post = await http(demo.url, `/api/node/${child}/synapses/elements`, { method: 'POST', body: JSON.stringify([el]) });
    expect([post.status, post.text]).toEqual([200, '']);
    const after = await json<Array<{ Pos: number[] }>>(demo.url, `/api/node/${child}/synapses/label/${body}`);
    expect(after.length).toBe(before.length + 1);
    expect(await count()).toBe(n0 + 1);
    expect((await json<Array<{ Pos: number[] }>>(demo.url, `/api/node/${child}/synapses/tag/review`)).map((e) => e.Pos)).toEqual([pos]);
    expect(await json(demo.url, `/api/node/${child}/synapses/elements/1_1_1/${pos.join('_')}`)).toEqual([{ ...el, Rels: [] }]);
    expect((await http(demo.url, `/api/node/${root}/synapses/elements/1_1_1/${pos.join('_')}`)).text).toBe('null');
    const bad = await http(demo.url, `/api/node/${child}/synapses/elements`, { method: 'POST', body: JSON.stringify([{ ...el, Kind: 'Bogus' }]) });
    expect(bad.text).toBe(text400('Unknown element type in JSON: "Bogus"', `/api/node/${child}/synapses/elements`));
    const numeric = await http(demo.url, `/api/node/${child}/synapses/elements`, { method: 'POST', body: JSON.stringify([{ ...el, Prop: { conf: 0.9 } }]) });
    expect(numeric.status).toBe(400);
    const path = `/api/node/${child}/synapses/element/${pos.join('_')}`;
    expect((await http(demo.url, path, { method: 'DELETE' })).status).toBe(200);
    expect((await http(demo.url, path, { method: 'DELETE' })).text).toBe(text400(`Did not find element (${pos.join(',')}) in datastore`, path));
    expect(await count()).toBe(n0);
    expect((await json<unknown[]>(demo.url, `/api/node/${child}/synapses/label/${body}`)).length).toBe(before.length);
  });
});
