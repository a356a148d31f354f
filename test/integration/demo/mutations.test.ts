/**
 * Proofreading writes on the demo's open node, answered as DVID answers them: POST /merge and
 * POST /cleave/{label} move supervoxels between bodies (mapping, /supervoxels, annotation label
 * indices, labelsz), set /lastmod, take the new label from the repo's max label, bump the repo
 * MutationID and append a Go-marshalled "-complete" record to the node's /mutations; supervoxel
 * blocks do not change. The locked root refuses them, and another server of the same process keeps
 * the generated state. Without a jsonstore, /mutations answers DVID's 400 and /mutations-range hangs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoServer } from '../../../main/demo/index';
import { DvidClient } from '../../../main/dvid/client';
import { DvidTimeoutError } from '../../../main/dvid/errors';
import { asUuid } from '../../../main/dvid/paths';
import { readLog } from '../../../main/sync/marks';
import { http, json, startSmallDemo } from '../../support/demo';
import { waitForLog } from '../../support/dvid-demo';

let demo: DemoServer;
let other: DemoServer;
beforeAll(async () => {
  demo = await startSmallDemo();
  other = await startSmallDemo();
}, 60_000);
afterAll(async () => {
  await demo?.close();
  await other?.close();
});

const node = () => `/api/node/${demo.uuids.child}/segmentation`;
const big = (t: string): string[] => [...t.matchAll(/\d+/g)].map((m) => m[0]);

describe('labelmap writes on the open node', () => {
  it('merges: supervoxels, labels, lastmod, mutation log and repo MutationID follow', async () => {
    const neurons = demo.truth.neuronBodies(1);
    const [a, b] = [neurons[2]!, neurons[4]!];
    const bSvs = big((await http(demo.url, `${node()}/supervoxels/${b}`)).text);
    const aSynapses = (await json<unknown[]>(demo.url, `/api/node/${demo.uuids.child}/synapses/label/${a}`)).length;
    const bSynapses = (await json<unknown[]>(demo.url, `/api/node/${demo.uuids.child}/synapses/label/${b}`)).length;
    const repoBefore = (await json<{ MutationID: number }>(demo.url, `/api/repo/${demo.repoRoot}/info`)).MutationID;
    const logBefore = (await http(demo.url, `${node()}/mutations`)).text;
    const blockBefore = (await http(demo.url, `${node()}/specificblocks?blocks=2,2,2&supervoxels=true`)).body;

    const r = await http(demo.url, `${node()}/merge?u=tester&app=vitest`, { method: 'POST', body: `[${a}, ${b}]` });
    expect(r.status).toBe(200);
    // Repo info announces the id the next mutation gets (DVID's mutCurID), then moves past it.
    const mutid = repoBefore;
    expect(r.text).toBe(`{"MutationID": ${mutid}}`);
    expect((await json<{ MutationID: number }>(demo.url, `/api/repo/${demo.repoRoot}/info`)).MutationID).toBe(mutid + 1);
    expect((await http(demo.url, `${node()}/supervoxels/${b}`)).status).toBe(404);
    const aSvs = big((await http(demo.url, `${node()}/supervoxels/${a}`)).text);
    for (const sv of bSvs) expect(aSvs).toContain(sv);
    expect((await http(demo.url, `${node()}/mapping`, { body: `[${bSvs[0]}]` })).text).toContain(`${a}`);
    const lastmod = await json<Record<string, unknown>>(demo.url, `${node()}/lastmod/${a}`);
    expect(lastmod).toMatchObject({ 'mutation id': mutid, 'last mod user': 'tester', 'last mod app': 'vitest' });
    const log = (await http(demo.url, `${node()}/mutations`)).text;
    expect(log.startsWith(logBefore.slice(0, -1))).toBe(true);
    expect(log).toMatch(
      new RegExp(`\\{"Action":"merge-complete","App":"vitest","Labels":\\[${b}\\],"MutationID":${mutid},"Target":${a},"Timestamp":"[^"]+ m=\\+[0-9.]+","UUID":"${demo.uuids.child}","User":"tester"\\}\\]$`),
    );
    expect((await json<unknown[]>(demo.url, `/api/node/${demo.uuids.child}/synapses/label/${a}`)).length).toBe(aSynapses + bSynapses);
    expect(await json<unknown[]>(demo.url, `/api/node/${demo.uuids.child}/synapses/label/${b}`)).toEqual([]);
    const count = await json<{ AllSyn: number }>(demo.url, `/api/node/${demo.uuids.child}/synapses_labelsz/count/${a}/AllSyn`);
    expect(count.AllSyn).toBe(aSynapses + bSynapses);
    // Supervoxel blocks never change on a merge.
    expect((await http(demo.url, `${node()}/specificblocks?blocks=2,2,2&supervoxels=true`)).body.equals(blockBefore)).toBe(true);
    // Another server of this process still serves the generated state.
    expect((await http(other.url, `/api/node/${demo.uuids.child}/segmentation/supervoxels/${b}`)).status).toBe(200);
  });

  it('cleaves into MaxRepoLabel+1, with sizes in the record', async () => {
    const c = demo.truth.neuronBodies(1)[7]!;
    const svs = big((await http(demo.url, `${node()}/supervoxels/${c}`)).text);
    const cut = svs.slice(0, 2);
    const next = BigInt(big((await http(demo.url, `${node()}/nextlabel`)).text)[0]!);
    const r = await http(demo.url, `${node()}/cleave/${c}?u=tester`, { method: 'POST', body: `[${cut.join(',')}]` });
    expect(r.status).toBe(200);
    const m = /^\{"CleavedLabel": (\d+), "MutationID": (\d+)\}$/.exec(r.text)!;
    expect(BigInt(m[1]!)).toBe(next);
    expect(new Set(big((await http(demo.url, `${node()}/supervoxels/${next}`)).text))).toEqual(new Set(cut));
    expect(big((await http(demo.url, `${node()}/maxlabel`)).text)).toEqual([`${next}`]);
    const log = (await http(demo.url, `${node()}/mutations`)).text;
    expect(log).toMatch(new RegExp(`"Action":"cleave-complete","CleavedLabel":${next},"CleavedSize":\\d+,"CleavedSupervoxels":\\[${cut.join(',')}\\],"MutationID":${m[2]},"OrigLabel":${c},"RemainSize":\\d+,`));
    expect(log).not.toMatch(/"App":"","Cleaved/);
  });

  it('refuses what DVID refuses', async () => {
    const [a, b] = demo.truth.neuronBodies(0);
    const locked = await http(demo.url, `/api/node/${demo.uuids.root}/segmentation/merge`, { method: 'POST', body: `[${a}, ${b}]` });
    expect(locked.status).toBe(400);
    expect(locked.text).toContain(`Cannot do POST on endpoint "merge" of locked node ${demo.uuids.root}`);
    expect((await http(demo.url, `${node()}/merge`, { method: 'POST', body: '[1]' })).text).toContain('merge requested without any labels to merge');
    expect((await http(demo.url, `${node()}/merge`, { method: 'POST', body: `[${a}, 12345]` })).text).toContain("can't merge non-existent label 12345");
    const c = demo.truth.neuronBodies(1)[9]!;
    const notHis = await http(demo.url, `${node()}/cleave/${c}`, { method: 'POST', body: '[12345]' });
    expect(notHis.status).toBe(400);
    expect(notHis.text).toContain(`cannot cleave supervoxel 12345, which does not exist in label ${c}`);
  });
});

describe('a server without [mutations] jsonstore', () => {
  it('answers /mutations with 400 as DVID does, and never answers /mutations-range', async () => {
    const plain = await startSmallDemo({ jsonstore: false });
    const client = new DvidClient({ baseUrl: plain.url, timeouts: { connectMs: 2_000, headersMs: 700, bodyIdleMs: 2_000 }, retry: { maxAttempts: 1 } });
    try {
      const child = plain.uuids.child;
      // server/mutationlog.go StreamMutationsForVersion → handler's server.BadRequest (labelmap and keyvalue alike).
      for (const inst of ['segmentation', 'segmentation_annotations']) {
        const path = `/api/node/${child}/${inst}/mutations`;
        const r = await http(plain.url, path);
        expect(r.status).toBe(400);
        expect(r.text).toBe(`unable to write mutations to client: no jsonstore configured in [mutations] section of TOML config (${path}).\n`);
      }
      await expect(readLog(client, asUuid(child), 'segmentation', 'labelmap')).resolves.toBeNull();
      // sendMutations returns without closing its channel: no headers ever; the client's timeout ends it.
      const t0 = Date.now();
      const range = (async () => {
        for await (const r of client.labelmap(asUuid(child), 'segmentation').mutationsRange(asUuid(plain.uuids.root), asUuid(child))) void r;
      })();
      await expect(range).rejects.toBeInstanceOf(DvidTimeoutError);
      expect(Date.now() - t0).toBeLessThan(5_000);
      const entry = await waitForLog(plain, 0, '/mutations-range/');
      expect(entry[0]).toMatchObject({ status: 0, bytes: 0, outcome: 'stalled' });
      // The writes still happen (DVID only skips logging them) and the switch takes effect at once.
      plain.setJsonstore(true);
      expect((await http(plain.url, `/api/node/${child}/segmentation/mutations`)).status).toBe(200);
    } finally {
      await client.close();
      await plain.close();
    }
  });
});
