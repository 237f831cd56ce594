import type { Engine } from '../../server/migrate/connection.js';
import { HISTORY_TABLE } from '../../server/migrate/history-table.js';
import type { ActualSchema, ActualTable } from './inspect-schema.js';

/** What the schema reference says about one table (written once from the document, see reference-schema.ts). */
export type TableRef = {
  /**
   * column → type as written in the reference (CHAR(36), VARCHAR(50), DECIMAL(12,2), ENUM, JSON, BOOLEAN, UUID,
   * TIMESTAMPTZ…).
   */
  columns?: Record<string, string>;
  pk?: string[];
  /** Column sets that must carry a UNIQUE index. */
  unique?: string[][];
  /** column → referenced table. */
  fks?: Record<string, string>;
  /** Column lists that must lead some index (named indexes of the reference and other documented ones). */
  indexes?: string[][];
  /** Indexes the reference names: name → columns, exactly. */
  namedIndexes?: Record<string, string[]>;
  /** Columns that must be STORED generated columns. */
  generated?: string[];
  /** ENUM column → the values the reference names (the schema may add more; see README). */
  enums?: Record<string, string[]>;
  /** Columns the reference marks NOT NULL. */
  notNull?: string[];
  /** Column → documented default (compared without quotes, case-insensitively). */
  defaults?: Record<string, string>;
};
export type DatabaseRef = {
  engine: Engine;
  tables: Record<string, TableRef>;
  views?: string[];
  /** "<before|after> <insert|update|delete> <table>" */
  triggers?: string[];
};

/** The reference plus the FHIR projection keys (fhir_id unique, fhir_version) that V*__Add_fhir_projection_keys add. */
export function withProjectionKeys(ref: DatabaseRef, tables: string[]): DatabaseRef {
  const out: DatabaseRef = { ...ref, tables: { ...ref.tables } };
  for (const t of tables) {
    const base = ref.tables[t];
    if (!base) throw new Error(`withProjectionKeys: no table ${t} in the reference`);
    out.tables[t] = {
      ...base,
      columns: { ...base.columns, fhir_id: 'VARCHAR(64)', fhir_version: 'INT' },
      unique: [...(base.unique ?? []), ['fhir_id']],
    };
  }
  return out;
}

/** The FHIR id behind each UUID a projection derived for a non-UUID FHIR id (V*__Projection_ownership). */
export const FHIR_REFERENCE_IDS: TableRef = {
  pk: ['id'],
  unique: [['resource_type', 'fhir_id']],
  columns: { resource_type: 'VARCHAR(64)', fhir_id: 'VARCHAR(64)' },
};

/**
 * The projection's ownership additions (issue #17, V*__Projection_ownership*): a `source` column on every table a
 * projection writes ('fhir' = projected, NULL = the service's own row), plus its bookkeeping tables.
 */
export function withProjectionOwnership(
  ref: DatabaseRef,
  tables: string[],
  extraTables: Record<string, TableRef> = {},
): DatabaseRef {
  const out: DatabaseRef = {
    ...ref,
    tables: { ...ref.tables, fhir_reference_ids: FHIR_REFERENCE_IDS, ...extraTables },
  };
  for (const t of tables) {
    const base = out.tables[t];
    if (!base) throw new Error(`withProjectionOwnership: no table ${t} in the reference`);
    out.tables[t] = { ...base, columns: { ...base.columns, source: 'VARCHAR(16)' } };
  }
  return out;
}

/** Compares a live schema with its reference; returns human-readable problems (empty = conforms). */
export function schemaProblems(ref: DatabaseRef, actual: ActualSchema): string[] {
  const problems: string[] = [];
  const expected = Object.keys(ref.tables).sort();
  const present = [...actual.tables.keys()].filter((t) => t !== HISTORY_TABLE).sort();
  for (const t of expected) if (!actual.tables.has(t)) problems.push(`missing table ${t}`);
  for (const t of present) if (!ref.tables[t]) problems.push(`unexpected table ${t}`);
  for (const [name, tref] of Object.entries(ref.tables)) {
    const table = actual.tables.get(name);
    if (table) problems.push(...tableProblems(ref.engine, name, tref, table));
  }
  for (const v of ref.views ?? []) if (!actual.views.includes(v)) problems.push(`missing view ${v}`);
  const triggers = new Set(actual.triggers.values());
  for (const t of ref.triggers ?? []) if (!triggers.has(t)) problems.push(`missing trigger ${t}`);
  for (const [name, table] of actual.tables)
    if (name !== HISTORY_TABLE) problems.push(...timestampProblems(ref.engine, name, table, triggers));
  return problems;
}

function tableProblems(engine: Engine, name: string, ref: TableRef, t: ActualTable): string[] {
  const p: string[] = [];
  for (const [col, refType] of Object.entries(ref.columns ?? {})) {
    const c = t.columns.get(col);
    if (!c) p.push(`${name}.${col}: missing column`);
    else if (!typeMatches(engine, refType, c.type)) p.push(`${name}.${col}: type ${c.type}, reference says ${refType}`);
  }
  const pk = t.indexes.find((i) => i.primary);
  if (!pk) p.push(`${name}: no primary key`);
  else if (ref.pk && !sameSet(pk.columns, ref.pk))
    p.push(`${name}: primary key (${pk.columns}) instead of (${ref.pk})`);
  for (const u of ref.unique ?? []) {
    if (!t.indexes.some((i) => i.unique && sameSet(i.columns, u))) p.push(`${name}: no UNIQUE index on (${u})`);
  }
  for (const [col, target] of Object.entries(ref.fks ?? {})) {
    if (!t.foreignKeys.some((f) => f.columns.length === 1 && f.columns[0] === col && f.referencedTable === target))
      p.push(`${name}.${col}: no foreign key to ${target}`);
  }
  for (const fk of t.foreignKeys) {
    if (!t.indexes.some((i) => startsWith(i.columns, fk.columns)))
      p.push(`${name}: foreign key ${fk.name} (${fk.columns}) has no index`);
  }
  for (const cols of ref.indexes ?? []) {
    if (!t.indexes.some((i) => startsWith(i.columns, cols))) p.push(`${name}: no index on (${cols})`);
  }
  for (const [index, cols] of Object.entries(ref.namedIndexes ?? {})) {
    const found = t.indexes.find((i) => i.name === index);
    if (!found) p.push(`${name}: no index named ${index}`);
    else if (found.columns.join() !== cols.join())
      p.push(`${name}: index ${index} is on (${found.columns}), reference says (${cols})`);
  }
  for (const col of ref.generated ?? []) {
    const c = t.columns.get(col);
    if (!c || !/stored generated|persistent generated/.test(c.extra))
      p.push(`${name}.${col}: not a STORED generated column (${c?.extra ?? 'missing'})`);
  }
  for (const col of ref.notNull ?? []) {
    if (t.columns.get(col)?.nullable !== false) p.push(`${name}.${col}: nullable, reference says NOT NULL`);
  }
  for (const [col, expected] of Object.entries(ref.defaults ?? {})) {
    const actual = (t.columns.get(col)?.default ?? 'null').replace(/^'(.*)'(::.*)?$/, '$1').toLowerCase();
    const norm = (x: string) => x.replace(/\(\)$/, '').replace(/^(\d+)\.0+$/, '$1');
    if (norm(actual) !== norm(expected.toLowerCase()))
      p.push(`${name}.${col}: default ${actual}, reference says ${expected}`);
  }
  for (const [col, values] of Object.entries(ref.enums ?? {})) {
    const actual = t.columns.get(col)?.enumValues;
    if (!actual) p.push(`${name}.${col}: not an ENUM`);
    else for (const v of values) if (!actual.includes(v)) p.push(`${name}.${col}: ENUM lacks documented value '${v}'`);
  }
  return p;
}

/** created_at defaults to now; updated_at also moves on every UPDATE (ON UPDATE in MySQL, a trigger in PostgreSQL). */
function timestampProblems(engine: Engine, name: string, t: ActualTable, triggers: Set<string>): string[] {
  const p: string[] = [];
  for (const col of ['created_at', 'updated_at']) {
    const c = t.columns.get(col);
    if (!c) continue;
    if (c.nullable) p.push(`${name}.${col}: nullable`);
    if (!/current_timestamp|now\(\)/i.test(c.default ?? ''))
      p.push(`${name}.${col}: default ${c.default}, expected the current time`);
  }
  const u = t.columns.get('updated_at');
  if (u && engine === 'mysql' && !/on update current_timestamp/.test(u.extra))
    p.push(`${name}.updated_at: no ON UPDATE CURRENT_TIMESTAMP`);
  if (u && engine === 'postgres' && !triggers.has(`before update ${name}`))
    p.push(`${name}.updated_at: no BEFORE UPDATE trigger`);
  for (const [col, c] of t.columns) {
    if (col !== 'updated_at' && /on update/.test(c.extra))
      p.push(`${name}.${col}: unexpected ON UPDATE (implicit TIMESTAMP default?)`);
  }
  return p;
}

export function typeMatches(engine: Engine, refType: string, actual: string): boolean {
  const ref = refType.toLowerCase().replace(/\s+/g, '');
  const a = actual.toLowerCase();
  if (engine === 'mysql') {
    switch (ref) {
      case 'boolean':
        return a === 'tinyint(1)';
      case 'json':
        return a === 'json' || a === 'longtext'; // MariaDB: JSON is LONGTEXT + CHECK (JSON_VALID)
      case 'tinyint':
      case 'smallint':
      case 'int':
      case 'bigint':
        return new RegExp(`^${ref}(\\(\\d+\\))?$`).test(a); // MariaDB shows display widths: int(11)
      case 'enum':
        return a.startsWith('enum(');
      default:
        return a === ref;
    }
  }
  const m = /^(varchar|char|decimal)\((\d+(?:,\d+)?)\)$/.exec(ref);
  if (m)
    return (
      a === `${{ varchar: 'character varying', char: 'character', decimal: 'numeric' }[m[1] as 'varchar']}(${m[2]})`
    );
  const map: Record<string, string[]> = {
    timestamp: ['timestamp without time zone'],
    timestamptz: ['timestamp with time zone'],
    int: ['integer'],
    json: ['jsonb', 'json'],
    enum: ['enum'],
  };
  return (map[ref] ?? [ref]).includes(a);
}

const sameSet = (a: string[], b: string[]) => a.length === b.length && a.every((x) => b.includes(x));
const startsWith = (cols: string[], prefix: string[]) => prefix.every((c, i) => cols[i] === c);
