/**
 * Turns the IndexEntries of a batch of writes into column arrays, one set per side table, so that a
 * whole batch is inserted with one `INSERT … SELECT * FROM unnest(…)` per table.
 */
import type { CompositeEntry, IndexEntry } from '../../fhir/indexing/index-entry.js';
import { tokenKind } from '../../fhir/search/kinds/token/token-kind.js';
import type { VersionWrite } from '../resource-store.js';

type Column = { name: string; type: string };

/** Column lists (after resource_type, resource_id, param, tuple) of each side table. */
export const SIDE_COLUMNS = {
  fhir_idx_string: [c('value', 'text'), c('exact', 'text')],
  fhir_idx_token: tokenKind.postgres.columns,
  fhir_idx_date: [c('low', 'bigint'), c('high', 'bigint')],
  fhir_idx_number: [c('value', 'float8'), c('low', 'float8'), c('high', 'float8')],
  fhir_idx_quantity: [
    c('value', 'float8'),
    c('low', 'float8'),
    c('high', 'float8'),
    c('system', 'text'),
    c('code', 'text'),
    c('unit', 'text'),
    c('canonical_value', 'float8'),
    c('canonical_low', 'float8'),
    c('canonical_high', 'float8'),
    c('canonical_code', 'text'),
  ],
  fhir_idx_reference: [
    c('target_type', 'text'),
    c('target_id', 'text'),
    c('url', 'text'),
    c('identifier_system', 'text'),
    c('identifier_value', 'text'),
  ],
  fhir_idx_uri: [c('value', 'text')],
  fhir_idx_composite: [],
} as const satisfies Record<string, readonly Column[]>;

export type SideTable = keyof typeof SIDE_COLUMNS;

function c(name: string, type: string): Column {
  return { name, type };
}

export const TABLE_OF_KIND = {
  string: 'fhir_idx_string',
  token: 'fhir_idx_token',
  date: 'fhir_idx_date',
  number: 'fhir_idx_number',
  quantity: 'fhir_idx_quantity',
  reference: 'fhir_idx_reference',
  uri: 'fhir_idx_uri',
  composite: 'fhir_idx_composite',
} as const satisfies Record<IndexEntry['kind'], SideTable>;

/** Rows of one side table, column-major: keys[i] + values[j][i] is row i. */
export type TableRows = {
  types: string[];
  ids: string[];
  params: string[];
  tuples: (number | null)[];
  columns: unknown[][];
};

export type BatchRows = {
  tables: Map<SideTable, TableRows>;
  compartments: { types: string[]; ids: string[]; refs: string[] };
};

/** The part rows of composite tuple `tuple` of `param` are stored under this param name. */
export function compositePartParam(param: string, index: number): string {
  return `${param}|${index}`;
}

/**
 * Entries this store never reads: `_id` and `_lastUpdated` are searched and sorted on the columns of
 * fhir_resource (Condition kinds 'id' and 'lastUpdated'), so their side-table rows would only cost writes.
 */
function isRedundant(entry: IndexEntry): boolean {
  return (entry.kind === 'token' && entry.param === '_id') || (entry.kind === 'date' && entry.param === '_lastUpdated');
}

export function batchRows(writes: VersionWrite[]): BatchRows {
  const rows: BatchRows = { tables: new Map(), compartments: { types: [], ids: [], refs: [] } };
  for (const write of writes) {
    if (write.resource === null) continue; // a delete version has no index rows
    write.index.entries.forEach((entry, position) => {
      if (entry.kind === 'composite') addComposite(rows, write, entry, position);
      else if (!isRedundant(entry)) addRow(rows, write, entry.param, null, entry);
    });
    for (const ref of new Set(write.index.compartments)) {
      rows.compartments.types.push(write.resourceType);
      rows.compartments.ids.push(write.id);
      rows.compartments.refs.push(ref);
    }
  }
  return rows;
}

function addComposite(rows: BatchRows, write: VersionWrite, entry: CompositeEntry, tuple: number): void {
  addRow(rows, write, entry.param, tuple, entry);
  entry.parts.forEach((part, i) => {
    if (part.kind === 'composite') return; // a composite of composites does not exist in R4
    addRow(rows, write, compositePartParam(entry.param, i), tuple, part);
  });
}

function addRow(rows: BatchRows, write: VersionWrite, param: string, tuple: number | null, entry: IndexEntry): void {
  const table = TABLE_OF_KIND[entry.kind];
  let target = rows.tables.get(table);
  if (!target) {
    target = { types: [], ids: [], params: [], tuples: [], columns: SIDE_COLUMNS[table].map(() => []) };
    rows.tables.set(table, target);
  }
  target.types.push(write.resourceType);
  target.ids.push(write.id);
  target.params.push(param);
  target.tuples.push(tuple);
  valuesOf(entry).forEach((value, i) => target.columns[i]!.push(value));
}

function valuesOf(entry: IndexEntry): unknown[] {
  switch (entry.kind) {
    case 'string':
      return [entry.value, entry.exact];
    case 'token':
      return tokenKind.postgres.rowValues(entry);
    case 'date':
      return [Math.round(entry.low), Math.round(entry.high)];
    case 'number':
      return [entry.value, entry.low, entry.high];
    case 'quantity': {
      const canonical = canonicalBounds(entry.value, entry.low, entry.high, entry.canonicalValue);
      return [
        entry.value,
        entry.low,
        entry.high,
        entry.system,
        entry.code,
        entry.unit,
        entry.canonicalValue ?? null,
        canonical.low,
        canonical.high,
        entry.canonicalCode ?? null,
      ];
    }
    case 'reference':
      return [
        entry.targetType,
        entry.targetId,
        entry.url,
        entry.identifierSystem ?? null,
        entry.identifierValue ?? null,
      ];
    case 'uri':
      return [entry.value];
    case 'composite':
      return [];
  }
}

/** The implicit precision range carried over to the canonical unit (a pure factor conversion). */
function canonicalBounds(
  value: number,
  low: number,
  high: number,
  canonical: number | undefined,
): { low: number | null; high: number | null } {
  if (canonical === undefined) return { low: null, high: null };
  if (value === 0) return { low: canonical - (value - low), high: canonical + (high - value) };
  const factor = canonical / value;
  return factor >= 0 ? { low: low * factor, high: high * factor } : { low: high * factor, high: low * factor };
}
