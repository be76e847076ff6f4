import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase, dropPostgresDatabase } from '../../test/helpers/test-database.js';
import type { Database } from './schema.js';
import { createStorage, type Storage } from './storage.js';

/**
 * The same migrations must build the same schema on both engines: tables, columns (name,
 * nullability, type family, default), primary keys, indexes (columns, uniqueness, partial
 * predicate) and foreign keys. Any difference fails, listed one per line.
 */

interface ColumnShape {
  type: string;
  notNull: boolean;
  default: string | null;
}

interface TableShape {
  columns: Record<string, ColumnShape>;
  primaryKey: string[];
  /** Created indexes by name; unique constraints (named by each engine its own way) by columns. */
  indexes: Record<string, { columns: string[]; unique: boolean; predicate: string | null }>;
  foreignKeys: string[];
}

type SchemaShape = Record<string, TableShape>;

/** Kysely's own bookkeeping, created by each dialect its own way. */
const IGNORED_TABLES = new Set(['schema_migrations', 'schema_migrations_lock']);

const TYPE_FAMILIES: Array<[RegExp, string]> = [
  [/^(text|varchar|character varying|char|character|clob)(\(\d+\))?$/, 'text'],
  [/^(bigint|int8)$/, 'bigint'],
  [/^(integer|int|int4)$/, 'integer'],
  [/^(smallint|int2)$/, 'smallint'],
  [/^(real|double precision|float|float4|float8|numeric)(\(.*\))?$/, 'number'],
  [/^(boolean|bool)$/, 'boolean'],
  [/^(blob|bytea)$/, 'bytes'],
];

function typeFamily(declared: string): string {
  const type = declared.trim().toLowerCase();
  for (const [pattern, family] of TYPE_FAMILIES) if (pattern.test(type)) return family;
  // A type this check does not know yet: compared as declared, so it shows up as a difference.
  return `unknown:${type}`;
}

/** `(merged_into IS NULL)` and `"merged_into" is null` both become `merged_intoisnull`. */
function normalizeExpression(text: string | null): string | null {
  if (text === null) return null;
  return text
    .replace(/::[a-z ]+/gi, '')
    .replace(/["()\s]/g, '')
    .toLowerCase();
}

const uniqueKey = (columns: string[]) => `unique(${columns.join(',')})`;

// biome-ignore lint/suspicious/noExplicitAny: introspection rows are untyped
type AnyDb = Kysely<any>;

async function rows<T>(db: AnyDb, query: ReturnType<typeof sql>): Promise<T[]> {
  return (await query.execute(db)).rows as T[];
}

async function sqliteShape(db: AnyDb): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const tables = await rows<{ name: string }>(
    db,
    sql`select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name`,
  );
  for (const { name: table } of tables) {
    if (IGNORED_TABLES.has(table)) continue;
    const columns = await rows<{
      name: string;
      type: string;
      notnull: number;
      dflt_value: string | null;
      pk: number;
    }>(db, sql`select name, type, "notnull", dflt_value, pk from pragma_table_info(${table})`);
    const t: TableShape = { columns: {}, primaryKey: [], indexes: {}, foreignKeys: [] };
    for (const c of columns) {
      // SQLite lets a non-INTEGER primary key column hold NULL; PostgreSQL never does. Tessera
      // never writes NULL keys, so a key column counts as NOT NULL on both.
      t.columns[c.name] = {
        type: typeFamily(c.type),
        notNull: c.notnull === 1 || c.pk > 0,
        default: normalizeExpression(c.dflt_value),
      };
    }
    t.primaryKey = columns
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => c.name);
    const indexes = await rows<{ name: string; unique: number; origin: string }>(
      db,
      sql`select name, "unique", origin from pragma_index_list(${table})`,
    );
    for (const index of indexes) {
      if (index.origin === 'pk') continue;
      const cols = (
        await rows<{ name: string }>(
          db,
          sql`select name from pragma_index_info(${index.name}) order by seqno`,
        )
      ).map((c) => c.name);
      const [definition] = await rows<{ sql: string | null }>(
        db,
        sql`select sql from sqlite_master where type = 'index' and name = ${index.name}`,
      );
      const predicate = definition?.sql?.match(/\swhere\s([\s\S]*)$/i)?.[1] ?? null;
      const key = index.origin === 'u' ? uniqueKey(cols) : index.name;
      t.indexes[key] = {
        columns: cols,
        unique: index.unique === 1,
        predicate: normalizeExpression(predicate),
      };
    }
    t.foreignKeys = (
      await rows<{ from: string; table: string; to: string }>(
        db,
        sql`select "from", "table", "to" from pragma_foreign_key_list(${table})`,
      )
    )
      .map((fk) => `${fk.from} -> ${fk.table}.${fk.to}`)
      .sort();
    shape[table] = t;
  }
  return shape;
}

async function postgresShape(db: AnyDb): Promise<SchemaShape> {
  const shape: SchemaShape = {};
  const tables = await rows<{ name: string }>(
    db,
    sql`select table_name as name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' order by 1`,
  );
  for (const { name: table } of tables) {
    if (IGNORED_TABLES.has(table)) continue;
    const t: TableShape = { columns: {}, primaryKey: [], indexes: {}, foreignKeys: [] };
    const columns = await rows<{
      name: string;
      type: string;
      nullable: string;
      dflt: string | null;
    }>(
      db,
      sql`select column_name as name, data_type as type, is_nullable as nullable,
                 column_default as dflt
          from information_schema.columns
          where table_schema = 'public' and table_name = ${table} order by ordinal_position`,
    );
    for (const c of columns) {
      t.columns[c.name] = {
        type: typeFamily(c.type),
        notNull: c.nullable === 'NO',
        default: normalizeExpression(c.dflt),
      };
    }
    const indexes = await rows<{
      name: string;
      unique: boolean;
      primary: boolean;
      constraint: boolean;
      predicate: string | null;
      columns: string[];
    }>(
      db,
      sql`select i.relname::text as name, ix.indisunique as unique, ix.indisprimary as primary,
                 exists (select 1 from pg_constraint c
                         where c.conindid = ix.indexrelid and c.contype = 'u') as constraint,
                 pg_get_expr(ix.indpred, ix.indrelid) as predicate,
                 (select array_agg(a.attname::text order by k.ord)
                  from unnest(ix.indkey) with ordinality as k(attnum, ord)
                  join pg_attribute a on a.attrelid = ix.indrelid and a.attnum = k.attnum) as columns
          from pg_index ix
          join pg_class i on i.oid = ix.indexrelid
          join pg_class t on t.oid = ix.indrelid
          join pg_namespace n on n.oid = t.relnamespace
          where n.nspname = 'public' and t.relname = ${table}`,
    );
    for (const index of indexes) {
      if (index.primary) {
        t.primaryKey = index.columns;
        continue;
      }
      const key = index.constraint ? uniqueKey(index.columns) : index.name;
      t.indexes[key] = {
        columns: index.columns,
        unique: index.unique,
        predicate: normalizeExpression(index.predicate),
      };
    }
    t.foreignKeys = (
      await rows<{ from: string; table: string; to: string }>(
        db,
        sql`select a.attname::text as from, rt.relname::text as table, ra.attname::text as to
            from pg_constraint c
            join pg_class t on t.oid = c.conrelid
            join pg_namespace n on n.oid = t.relnamespace
            join pg_class rt on rt.oid = c.confrelid
            cross join lateral unnest(c.conkey, c.confkey) as k(col, ref)
            join pg_attribute a on a.attrelid = c.conrelid and a.attnum = k.col
            join pg_attribute ra on ra.attrelid = c.confrelid and ra.attnum = k.ref
            where c.contype = 'f' and n.nspname = 'public' and t.relname = ${table}`,
      )
    )
      .map((fk) => `${fk.from} -> ${fk.table}.${fk.to}`)
      .sort();
    shape[table] = t;
  }
  return shape;
}

/** Every difference between the two shapes, one readable line each. */
function differences(sqlite: SchemaShape, postgres: SchemaShape): string[] {
  const out: string[] = [];
  const both = <T>(a: Record<string, T>, b: Record<string, T>, where: string) => {
    const names = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    const common: string[] = [];
    for (const name of names) {
      if (!(name in b)) out.push(`${where}${name}: only on SQLite`);
      else if (!(name in a)) out.push(`${where}${name}: only on PostgreSQL`);
      else common.push(name);
    }
    return common;
  };
  const same = (x: unknown, y: unknown) => JSON.stringify(x) === JSON.stringify(y);
  for (const table of both(sqlite, postgres, 'table ')) {
    const s = sqlite[table]!;
    const p = postgres[table]!;
    for (const column of both(s.columns, p.columns, `column ${table}.`)) {
      if (!same(s.columns[column], p.columns[column])) {
        out.push(
          `column ${table}.${column}: SQLite ${JSON.stringify(s.columns[column])}, PostgreSQL ${JSON.stringify(p.columns[column])}`,
        );
      }
    }
    if (!same(s.primaryKey, p.primaryKey)) {
      out.push(`primary key of ${table}: SQLite (${s.primaryKey}), PostgreSQL (${p.primaryKey})`);
    }
    for (const index of both(s.indexes, p.indexes, `index ${table}.`)) {
      if (!same(s.indexes[index], p.indexes[index])) {
        out.push(
          `index ${table}.${index}: SQLite ${JSON.stringify(s.indexes[index])}, PostgreSQL ${JSON.stringify(p.indexes[index])}`,
        );
      }
    }
    if (!same(s.foreignKeys, p.foreignKeys)) {
      out.push(
        `foreign keys of ${table}: SQLite [${s.foreignKeys}], PostgreSQL [${p.foreignKeys}]`,
      );
    }
  }
  return out;
}

describe('schema equivalence', () => {
  let dir: string;
  let sqlite: Storage;
  let postgres: Storage;
  let postgresUrl: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'tessera-schema-'));
    sqlite = await createStorage(`sqlite://${path.join(dir, 'schema.db')}`);
    postgresUrl = await createPostgresDatabase();
    postgres = await createStorage(postgresUrl);
  });
  afterAll(async () => {
    await sqlite?.close();
    await postgres?.close();
    if (postgresUrl) await dropPostgresDatabase(postgresUrl);
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds the same tables, columns, keys and indexes on SQLite and PostgreSQL', async () => {
    const s = await sqliteShape(sqlite.db as Kysely<Database> as AnyDb);
    const p = await postgresShape(postgres.db as Kysely<Database> as AnyDb);
    // Not vacuous: the migrations' tables are there, with their partial unique index.
    expect(Object.keys(s)).toContain('profiles');
    expect(s.profile_identifiers!.indexes.profile_identifiers_unique).toEqual({
      columns: ['environment_id', 'type', 'value'],
      unique: true,
      predicate: 'is_unique=1',
    });
    expect(differences(s, p)).toEqual([]);
  });

  it('notices a difference', async () => {
    await sql`create index jobs_extra on jobs (kind) where attempts > 0`.execute(postgres.db);
    await sql`alter table jobs add column extra text`.execute(postgres.db);
    const diff = differences(
      await sqliteShape(sqlite.db as AnyDb),
      await postgresShape(postgres.db as AnyDb),
    );
    expect(diff).toEqual([
      'column jobs.extra: only on PostgreSQL',
      'index jobs.jobs_extra: only on PostgreSQL',
    ]);
  });
});
