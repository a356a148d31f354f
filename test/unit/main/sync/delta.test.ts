/**
 * The pure parts of the incremental plan (main/sync/delta.ts): what labelmap mutation records say
 * changed, which bodies they join into groups, and which bodies' annotations changed given the cached
 * and the server's labelsz counts.
 */
import { describe, expect, it } from 'vitest';
import { readMutationRecord } from '../../../../main/dvid/labelmap';
import { analyseLabelmapRecords, changedBodies, mutationGroups } from '../../../../main/sync/delta';
import { recordsAfter, positionOf } from '../../../../main/sync/marks';

const BIG = 9007199254740993n; // 2^53 + 1: must survive as an exact id
const rec = (o: string) => readMutationRecord(o);
const MERGE = rec(`{"Action":"merge-complete","Labels":[20,${BIG}],"MutationID":7,"Target":10,"Timestamp":"t","UUID":"u"}`);
const CLEAVE = rec('{"Action":"cleave-complete","CleavedLabel":31,"CleavedSupervoxels":[301,302],"MutationID":8,"OrigLabel":30,"Timestamp":"t","UUID":"u"}');
const SPLIT_SV = rec('{"Action":"split-supervoxel-complete","Body":40,"MutationID":9,"RemainSupervoxel":402,"SplitSupervoxel":401,"Supervoxel":400,"Timestamp":"t","UUID":"u"}');

describe('labelmap records', () => {
  it('merges and cleaves remap bodies only; supervoxel splits name the old and new supervoxels', () => {
    const a = analyseLabelmapRecords([MERGE, CLEAVE]);
    expect(a.full).toBeNull();
    expect(a.bodies).toEqual(new Set([10n, 20n, BIG, 30n, 31n]));
    expect(a.shrunk).toEqual(new Set([20n, BIG, 30n]));
    expect(a.splitSvs.size).toBe(0);
    const s = analyseLabelmapRecords([SPLIT_SV]);
    expect(s.splitSvs).toEqual(new Set([400n]));
    expect(s.newSvs).toEqual(new Set([401n, 402n]));
    expect(s.shrunk).toEqual(new Set([40n]));
  });

  it('asks for a full re-sync on what it cannot apply', () => {
    expect(analyseLabelmapRecords([rec('{"Action":"split-complete","Target":5,"NewLabel":6,"MutationID":3}')]).full).toMatch(/without its supervoxel splits/);
    expect(analyseLabelmapRecords([rec('{"Action":"ingest-supervoxels","MutationID":3}')]).full).toMatch(/ingest-supervoxels/);
  });

  it('groups the bodies records join or part', () => {
    const g = mutationGroups([MERGE, CLEAVE, rec('{"Action":"merge-complete","Labels":[31],"MutationID":10,"Target":50}')]);
    expect(g.map((s) => [...s].toSorted((x, y) => (x < y ? -1 : 1))).toSorted((x, y) => (x[0]! < y[0]! ? -1 : 1))).toEqual([
      [10n, 20n, BIG],
      [30n, 31n, 50n],
    ]);
  });

  it('follows a log from a position, and refuses another log', () => {
    const log = [MERGE, CLEAVE, SPLIT_SV];
    const pos = positionOf('labelmap', log.slice(0, 2))!;
    expect(pos).toEqual({ count: 2, last: '8' });
    expect(recordsAfter('labelmap', log, pos)).toEqual([SPLIT_SV]);
    expect(recordsAfter('labelmap', [MERGE], pos)).toBeNull();
    expect(recordsAfter('labelmap', [MERGE, SPLIT_SV, CLEAVE], pos)).toBeNull();
  });
});

const counts = (cached: Array<[bigint, number]>, fresh: Array<[bigint, number]>) => [{ idx: 'PreSyn', cached: new Map(cached), fresh: new Map(fresh) }];

describe('bodies whose annotations changed', () => {
  it('are those whose counts moved, less merged or cleaved groups whose totals did not', () => {
    // 10 ← 20 merged (5 + 3 = 8), 30 cleaved into 30 and 31 (9 = 4 + 5), 60 lost one element.
    const c = counts(
      [
        [10n, 5],
        [20n, 3],
        [30n, 9],
        [60n, 7],
        [70n, 2],
      ],
      [
        [10n, 8],
        [30n, 4],
        [31n, 5],
        [60n, 6],
        [70n, 2],
      ],
    );
    const groups = mutationGroups([MERGE, CLEAVE]);
    expect(changedBodies(c, groups)).toEqual(new Set([60n]));
    // Without the log, every moved count counts.
    expect(changedBodies(c, [])).toEqual(new Set([10n, 20n, 30n, 31n, 60n]));
  });

  it('keeps a group whose total moved (an element edited inside merged bodies)', () => {
    const c = counts(
      [
        [10n, 5],
        [20n, 3],
      ],
      [[10n, 9]],
    );
    expect(changedBodies(c, mutationGroups([MERGE]))).toEqual(new Set([10n, 20n]));
  });
});
