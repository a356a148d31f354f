/**
 * Migrations: every version's resulting schema is pinned by a snapshot (test/fixtures/cache/schema/),
 * later versions only add (tables, indexes, columns), tables.ts matches the live schema, and a
 * database newer than the code is refused untouched.
 */
import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { CacheError } from '../../../../main/cache/errors';
import { LATEST_SCHEMA_VERSION, MIGRATIONS } from '../../../../main/cache/migrations/index';
import { DB_FILE, openCache } from '../../../../main/cache/open';
import { TABLE_LIST } from '../../../../main/cache/tables';
import { tempDir } from '../../../support/cache-fixture';

const SNAPSHOT_DIR = join(import.meta.dirname, '../../../fixtures/cache/schema');
const snapshotPath = (v: number) => join(SNAPSHOT_DIR, `v${String(v).padStart(3, '0')}.sql`);

/** The schema after migrations 1..v, as stable text: one object per line group, sorted by name. */
function schemaAt(v: number): string {
  const db = new Database(':memory:');
  for (const m of MIGRATIONS) if (m.version <= v) db.exec(m.sql);
  const rows = db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as Array<{
    type: string;
    name: string;
    sql: string;
  }>;
  db.close();
  return rows.map((r) => `-- ${r.type} ${r.name}\n${r.sql.replace(/\s+/g, ' ').trim()};\n`).join('\n');
}

interface Obj {
  type: string;
  name: string;
  sql: string;
}
function parse(text: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  for (const block of text.split(/\n(?=-- )/)) {
    const m = /^-- (\w+) (\S+)\n([\s\S]*)$/.exec(block.trim());
    if (m) out.set(m[2]!, { type: m[1]!, name: m[2]!, sql: m[3]!.trim() });
  }
  return out;
}

function columnsOf(createSql: string): string[] {
  const db = new Database(':memory:');
  db.exec(createSql);
  const name = /CREATE TABLE (\w+)/.exec(createSql)![1]!;
  const cols = (db.prepare(`PRAGMA table_info(${name})`).all() as Array<{ name: string; type: string; notnull: number; pk: number }>).map(
    (c) => `${c.name} ${c.type} notnull=${c.notnull} pk=${c.pk}`,
  );
  db.close();
  return cols;
}

function additiveViolations(beforeText: string, afterText: string): string[] {
  const before = parse(beforeText);
  const after = parse(afterText);
  const out: string[] = [];
  for (const [name, obj] of before) {
    const now = after.get(name);
    if (!now) out.push(`${obj.type} ${name} is gone`);
    else if (obj.type === 'table') {
      const old = columnsOf(obj.sql);
      if (JSON.stringify(columnsOf(now.sql).slice(0, old.length)) !== JSON.stringify(old)) out.push(`table ${name} changed its existing columns`);
    } else if (now.sql !== obj.sql) out.push(`${obj.type} ${name} changed`);
  }
  return out;
}

let cleanup: (() => void) | null = null;
afterEach(() => {
  cleanup?.();
  cleanup = null;
});

describe('migrations', () => {
  it('are numbered 1..N without gaps', () => {
    expect(MIGRATIONS.map((m) => m.version)).toEqual(MIGRATIONS.map((_, i) => i + 1));
    for (const m of MIGRATIONS) expect(m.sql).not.toMatch(/\b(BEGIN|COMMIT)\b/i);
  });

  it('produce exactly the committed schema snapshot of every version', () => {
    for (const m of MIGRATIONS) {
      const actual = schemaAt(m.version);
      const path = snapshotPath(m.version);
      if (!existsSync(path) && process.env.UPDATE_SCHEMA_SNAPSHOT === '1') writeFileSync(path, actual);
      expect(existsSync(path), `missing ${path}: run with UPDATE_SCHEMA_SNAPSHOT=1 once, review it, commit it`).toBe(true);
      expect(actual, `migrations 1..${m.version} no longer give ${path}: released migrations must not be edited`).toBe(readFileSync(path, 'utf8'));
    }
  });

  it('only ever add: every table, column and index of version N is unchanged in N+1', () => {
    for (let v = 1; v < LATEST_SCHEMA_VERSION; v++) {
      expect(additiveViolations(readFileSync(snapshotPath(v), 'utf8'), readFileSync(snapshotPath(v + 1), 'utf8')), `v${v} → v${v + 1}`).toEqual([]);
    }
  });

  it('the additivity check itself accepts additions and catches removals and changes', () => {
    const v1 = schemaAt(1);
    const added = `${v1}\n-- table extra\nCREATE TABLE extra (a INTEGER) STRICT;\n\n-- index nodes_note\nCREATE INDEX nodes_note ON nodes(note);\n`;
    expect(additiveViolations(v1, added)).toEqual([]);
    const widened = v1.replace('note TEXT, log TEXT, parents TEXT NOT NULL, children TEXT NOT NULL, created TEXT, updated TEXT, fetched_at INTEGER NOT NULL, checksum INTEGER NOT NULL )', 'note TEXT, log TEXT, parents TEXT NOT NULL, children TEXT NOT NULL, created TEXT, updated TEXT, fetched_at INTEGER NOT NULL, checksum INTEGER NOT NULL, extra TEXT )');
    expect(widened).not.toBe(v1);
    expect(additiveViolations(v1, widened)).toEqual([]);
    const dropped = v1.replace(/-- table roi_spans\n[^\n]*\n/, '');
    expect(additiveViolations(v1, dropped)).toEqual(['table roi_spans is gone']);
    const retyped = v1.replace('mutation_id INTEGER, properties TEXT', 'mutation_id TEXT, properties TEXT');
    expect(retyped).not.toBe(v1);
    expect(additiveViolations(v1, retyped)).toEqual(['table repo changed its existing columns']);
    const reindexed = v1.replace('ON sv_map(instance_id, node_id, body)', 'ON sv_map(body)');
    expect(additiveViolations(v1, reindexed)).toEqual(['index sv_map_body changed']);
  });

  it('declare every table STRICT with a checksum column, as tables.ts describes them', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const cache = openCache(t.dir);
    const tables = cache.db.prepare("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string; sql: string }>;
    expect(tables.map((x) => x.name).toSorted()).toEqual(TABLE_LIST.map((x) => x.name).toSorted());
    for (const { name, sql } of tables) {
      expect(sql, name).toMatch(/\)\s*STRICT/);
      const cols = (cache.db.prepare(`PRAGMA table_info(${name})`).all() as Array<{ name: string }>).map((c) => c.name);
      const spec = TABLE_LIST.find((x) => x.name === name)!;
      expect(cols, name).toEqual([...spec.columns.map((c) => c.name), 'checksum']);
    }
    cache.close();
  });

  it('set user_version in the same transaction as their DDL', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    const cache = openCache(t.dir);
    expect(cache.db.pragma('user_version', { simple: true })).toBe(LATEST_SCHEMA_VERSION);
    expect(cache.report).toMatchObject({ created: true, migratedFrom: 0, schemaVersion: LATEST_SCHEMA_VERSION });
    cache.close();
    const again = openCache(t.dir);
    expect(again.report).toMatchObject({ created: false, migratedFrom: LATEST_SCHEMA_VERSION });
    again.close();
  });

  it('refuse a database newer than the code, with a clear message, and leave it untouched', () => {
    const t = tempDir();
    cleanup = t.cleanup;
    openCache(t.dir).close();
    const file = join(t.dir, DB_FILE);
    const raw = new Database(file);
    raw.pragma(`user_version = ${LATEST_SCHEMA_VERSION + 4}`);
    raw.close();
    const before = createHash('sha256').update(readFileSync(file)).digest('hex');
    let err: unknown;
    try {
      openCache(t.dir);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CacheError);
    expect((err as CacheError).code).toBe('newer-schema');
    expect((err as Error).message).toContain(`schema version ${LATEST_SCHEMA_VERSION + 4}`);
    expect((err as Error).message).toMatch(/newer DVID Desk.*Update DVID Desk/);
    expect(createHash('sha256').update(readFileSync(file)).digest('hex')).toBe(before);
    expect(existsSync(join(t.dir, 'cache.open'))).toBe(false);
    // Readers refuse too.
    expect(() => openCache(t.dir, { readonly: true })).toThrow(/newer DVID Desk/);
  });
});
