/**
 * Every schema version, in order. Adding version N: write `NNN-what.ts` exporting a Migration with
 * `version: N`, append it here, add `test/fixtures/cache/schema/vNNN.sql` (the schema snapshot test
 * prints it), and keep the change additive (new tables, indexes, nullable columns): older builds
 * refuse newer caches, but a newer build must open every older one.
 */
import { migration001 } from './001-initial';
import type { Migration } from './types';

export const MIGRATIONS: readonly Migration[] = [migration001];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

export type { Migration };
