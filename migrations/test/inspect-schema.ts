import mysql from 'mysql2/promise';
import pg from 'pg';
import type { Engine } from '../../server/migrate/connection.js';

/** A database's schema as information_schema (and pg_catalog for indexes) reports it. */
export type ActualColumn = {
  type: string;
  nullable: boolean;
  default: string | null;
  extra: string;
  enumValues: string[] | null;
};
export type ActualIndex = { name: string; columns: string[]; unique: boolean; primary: boolean };
export type ActualForeignKey = {
  name: string;
  columns: string[];
  referencedTable: string;
  referencedColumns: string[];
};
export type ActualTable = {
  columns: Map<string, ActualColumn>;
  indexes: ActualIndex[];
  foreignKeys: ActualForeignKey[];
};
export type ActualSchema = {
  tables: Map<string, ActualTable>;
  views: string[];
  /** trigger name → "<timing> <event> <table>" */
  triggers: Map<string, string>;
};

export async function inspectSchema(engine: Engine, url: string): Promise<ActualSchema> {
  return engine === 'mysql' ? inspectMysql(url) : inspectPostgres(url);
}

async function inspectMysql(url: string): Promise<ActualSchema> {
  const conn = await mysql.createConnection({ uri: url });
  const q = async <T>(sql: string): Promise<T[]> => (await conn.query(sql))[0] as T[];
  try {
    const tables = new Map<string, ActualTable>();
    const tableRows = await q<{ n: string; t: string }>(
      `SELECT table_name AS n, table_type AS t FROM information_schema.tables WHERE table_schema = DATABASE()`,
    );
    for (const r of tableRows)
      if (r.t === 'BASE TABLE') tables.set(r.n, { columns: new Map(), indexes: [], foreignKeys: [] });
    const cols = await q<{ t: string; c: string; ty: string; nul: string; def: string | null; ex: string | null }>(
      `SELECT table_name AS t, column_name AS c, column_type AS ty, is_nullable AS nul, column_default AS def, extra AS ex
         FROM information_schema.columns WHERE table_schema = DATABASE() ORDER BY table_name, ordinal_position`,
    );
    for (const c of cols) {
      const table = tables.get(c.t);
      if (!table) continue;
      const type = c.ty.toLowerCase();
      const enumValues = type.startsWith('enum(')
        ? [...c.ty.slice(5, -1).matchAll(/'((?:[^']|'')*)'/g)].map((m) => m[1]!.replace(/''/g, "'"))
        : null;
      table.columns.set(c.c, {
        type,
        nullable: c.nul === 'YES',
        default: c.def,
        extra: (c.ex ?? '').toLowerCase(),
        enumValues,
      });
    }
    const idx = await q<{ t: string; i: string; c: string; nu: number }>(
      `SELECT table_name AS t, index_name AS i, column_name AS c, non_unique AS nu FROM information_schema.statistics
        WHERE table_schema = DATABASE() ORDER BY table_name, index_name, seq_in_index`,
    );
    for (const r of idx) {
      const table = tables.get(r.t);
      if (!table) continue;
      let index = table.indexes.find((x) => x.name === r.i);
      if (!index)
        table.indexes.push(
          (index = { name: r.i, columns: [], unique: Number(r.nu) === 0, primary: r.i === 'PRIMARY' }),
        );
      index.columns.push(r.c);
    }
    const fks = await q<{ t: string; n: string; c: string; rt: string; rc: string }>(
      `SELECT table_name AS t, constraint_name AS n, column_name AS c, referenced_table_name AS rt, referenced_column_name AS rc
         FROM information_schema.key_column_usage WHERE table_schema = DATABASE() AND referenced_table_name IS NOT NULL
        ORDER BY table_name, constraint_name, ordinal_position`,
    );
    for (const r of fks) {
      const table = tables.get(r.t);
      if (!table) continue;
      let fk = table.foreignKeys.find((x) => x.name === r.n);
      if (!fk) table.foreignKeys.push((fk = { name: r.n, columns: [], referencedTable: r.rt, referencedColumns: [] }));
      fk.columns.push(r.c);
      fk.referencedColumns.push(r.rc);
    }
    const views = (
      await q<{ n: string }>(`SELECT table_name AS n FROM information_schema.views WHERE table_schema = DATABASE()`)
    )
      .map((r) => r.n)
      .sort();
    const trg = await q<{ n: string; tm: string; ev: string; t: string }>(
      `SELECT trigger_name AS n, action_timing AS tm, event_manipulation AS ev, event_object_table AS t FROM information_schema.triggers WHERE trigger_schema = DATABASE()`,
    );
    return { tables, views, triggers: new Map(trg.map((r) => [r.n, `${r.tm} ${r.ev} ${r.t}`.toLowerCase()])) };
  } finally {
    await conn.end();
  }
}

async function inspectPostgres(url: string): Promise<ActualSchema> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const q = async <T>(sql: string): Promise<T[]> => (await client.query(sql)).rows as T[];
  try {
    const tables = new Map<string, ActualTable>();
    // Partitions of a partitioned table are implementation detail: only top-level tables count.
    const tableRows = await q<{ n: string }>(
      `SELECT c.relname AS n FROM pg_class c JOIN pg_namespace s ON s.oid = c.relnamespace
        WHERE s.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition`,
    );
    for (const r of tableRows) tables.set(r.n, { columns: new Map(), indexes: [], foreignKeys: [] });
    const cols = await q<Record<string, string | number | null>>(
      `SELECT c.table_name AS t, c.column_name AS c, c.data_type AS dt, c.character_maximum_length AS len, c.numeric_precision AS p,
              c.numeric_scale AS s, c.is_nullable AS nul, c.column_default AS def, c.is_generated AS gen, c.udt_name AS udt
         FROM information_schema.columns c WHERE c.table_schema = 'public' ORDER BY c.table_name, c.ordinal_position`,
    );
    const enumRows = await q<{ t: string; v: string }>(
      `SELECT t.typname AS t, e.enumlabel AS v FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid ORDER BY t.typname, e.enumsortorder`,
    );
    const enums = new Map<string, string[]>();
    for (const r of enumRows) enums.set(r.t, [...(enums.get(r.t) ?? []), r.v]);
    for (const c of cols) {
      const table = tables.get(String(c.t));
      if (!table) continue;
      let type = String(c.dt);
      if (c.len !== null && (type === 'character varying' || type === 'character')) type += `(${c.len})`;
      if (type === 'numeric' && c.p !== null) type += `(${c.p},${c.s})`;
      const enumValues = type === 'USER-DEFINED' ? (enums.get(String(c.udt)) ?? null) : null;
      if (enumValues) type = 'enum';
      table.columns.set(String(c.c), {
        type,
        nullable: c.nul === 'YES',
        default: c.def === null ? null : String(c.def),
        extra: c.gen === 'ALWAYS' ? 'stored generated' : '',
        enumValues,
      });
    }
    const idx = await q<{ t: string; i: string; cols: string[]; u: boolean; p: boolean }>(
      `SELECT t.relname AS t, i.relname AS i, ix.indisunique AS u, ix.indisprimary AS p,
              ARRAY(SELECT a.attname FROM unnest(ix.indkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.n ORDER BY k.o)::text[] AS cols
         FROM pg_index ix JOIN pg_class i ON i.oid = ix.indexrelid JOIN pg_class t ON t.oid = ix.indrelid
         JOIN pg_namespace s ON s.oid = t.relnamespace WHERE s.nspname = 'public'`,
    );
    for (const r of idx) tables.get(r.t)?.indexes.push({ name: r.i, columns: r.cols, unique: r.u, primary: r.p });
    const fks = await q<{ t: string; n: string; cols: string[]; rt: string; rcols: string[] }>(
      `SELECT t.relname AS t, con.conname AS n, rt.relname AS rt,
              ARRAY(SELECT a.attname FROM unnest(con.conkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS cols,
              ARRAY(SELECT a.attname FROM unnest(con.confkey) WITH ORDINALITY k(n, o) JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)::text[] AS rcols
         FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class rt ON rt.oid = con.confrelid
         JOIN pg_namespace s ON s.oid = t.relnamespace
        WHERE con.contype = 'f' AND s.nspname = 'public' AND con.conparentid = 0`,
    );
    for (const r of fks)
      tables
        .get(r.t)
        ?.foreignKeys.push({ name: r.n, columns: r.cols, referencedTable: r.rt, referencedColumns: r.rcols });
    const views = (
      await q<{ n: string }>(`SELECT table_name AS n FROM information_schema.views WHERE table_schema = 'public'`)
    )
      .map((r) => r.n)
      .sort();
    const trg = await q<{ n: string; tm: string; ev: string; t: string }>(
      `SELECT trigger_name AS n, action_timing AS tm, event_manipulation AS ev, event_object_table AS t FROM information_schema.triggers WHERE trigger_schema = 'public'`,
    );
    const triggers = new Map<string, string>();
    for (const r of trg) triggers.set(`${r.n}:${r.ev.toLowerCase()}`, `${r.tm} ${r.ev} ${r.t}`.toLowerCase());
    return { tables, views, triggers };
  } finally {
    await client.end();
  }
}
