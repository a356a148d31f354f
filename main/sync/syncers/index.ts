/** One syncer per item kind. */
import type { SyncEnv } from '../env';
import type { Syncer } from '../item';
import { BlocksSyncer } from './blocks';
import { ElementBodiesSyncer } from './element-bodies';
import { ElementSvsSyncer } from './element-svs';
import { ElementsSyncer } from './elements';
import { KeyvaluePruneSyncer, KeyvalueSyncer } from './keyvalue';
import { MappingSyncer } from './mapping';
import { LabelszSyncer, RoiSyncer } from './small';

export function syncersFor(env: SyncEnv): Syncer[] {
  return [
    new BlocksSyncer(env),
    new MappingSyncer(env),
    new ElementsSyncer(env),
    new ElementBodiesSyncer(env),
    new ElementSvsSyncer(env),
    new KeyvalueSyncer(env),
    new KeyvaluePruneSyncer(),
    new RoiSyncer(env),
    new LabelszSyncer(env),
  ];
}
