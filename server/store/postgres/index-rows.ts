/**
 * Turns the IndexEntries of a batch of writes into column arrays, one set per side table, so that a
 * whole batch is inserted with one `INSERT … SELECT * FROM unnest(…)` per table.
 */
import type { IndexEntry } from '../../fhir/indexing/index-entry.js';
import { compositePartParam } from '../../fhir/search/kinds/composite/composite-postgres.js';
import { compositeKind } from '../../fhir/search/kinds/composite/composite-kind.js';
import { kindOf } from '../../fhir/search/kinds/registry.js';
import type { SideColumn } from '../../fhir/search/kinds/search-param-kind.js';
import type { VersionWrite } from '../resource-store.js';
import { LASTN_PARAM, lastnKeys } from '../lastn-keys.js';

/** Columns of fhir_lastn (server/store/lastn-keys.ts): a current Observation's (subject, code, date) key. */
const LASTN_COLUMNS: readonly SideColumn[] = [
  { name: 'subject', type: 'text' },
  { name: 'code', type: 'text' },
  { name: 'at', type: 'bigint' },
];

/** Column lists (after resource_type, resource_id, param, tuple) of each side table: each kind's own. */
export const SIDE_COLUMNS = {
  fhir_idx_string: kindOf('string').postgres.columns,
  fhir_idx_token: kindOf('token').postgres.columns,
  fhir_idx_date: kindOf('date').postgres.columns,
  fhir_idx_number: kindOf('number').postgres.columns,
  fhir_idx_quantity: kindOf('quantity').postgres.columns,
  fhir_idx_reference: kindOf('reference').postgres.columns,
  fhir_idx_uri: kindOf('uri').postgres.columns,
  fhir_idx_composite: compositeKind.postgres.columns,
  // not an index of entries: the $lastn keys of the version, written and removed with its index rows
  fhir_lastn: LASTN_COLUMNS,
} as const satisfies Record<`fhir_idx_${IndexEntry['kind']}` | 'fhir_lastn', readonly SideColumn[]>;

export type SideTable = keyof typeof SIDE_COLUMNS;

/** The side table of each kind: fhir_idx_<kind>. */
export function tableOfKind(kind: IndexEntry['kind']): `fhir_idx_${IndexEntry['kind']}` {
  return `fhir_idx_${kind}`;
}

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
export { compositePartParam };

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
      if (entry.kind === 'composite')
        for (const row of compositeKind.postgres.rows(entry)) addRow(rows, write, row.param, position, row.entry);
      else if (!isRedundant(entry)) addRow(rows, write, entry.param, null, entry);
    });
    for (const key of lastnKeys(write.resourceType, write.index.entries))
      addValues(rows, write, 'fhir_lastn', LASTN_PARAM, null, [key.subject, key.code, key.at]);
    for (const ref of new Set(write.index.compartments)) {
      rows.compartments.types.push(write.resourceType);
      rows.compartments.ids.push(write.id);
      rows.compartments.refs.push(ref);
    }
  }
  return rows;
}

function addRow(rows: BatchRows, write: VersionWrite, param: string, tuple: number | null, entry: IndexEntry): void {
  addValues(rows, write, tableOfKind(entry.kind), param, tuple, valuesOf(entry));
}

function addValues(
  rows: BatchRows,
  write: VersionWrite,
  table: SideTable,
  param: string,
  tuple: number | null,
  values: unknown[],
): void {
  let target = rows.tables.get(table);
  if (!target) {
    target = { types: [], ids: [], params: [], tuples: [], columns: SIDE_COLUMNS[table].map(() => []) };
    rows.tables.set(table, target);
  }
  target.types.push(write.resourceType);
  target.ids.push(write.id);
  target.params.push(param);
  target.tuples.push(tuple);
  values.forEach((value, i) => target.columns[i]!.push(value));
}

function valuesOf(entry: IndexEntry): unknown[] {
  return entry.kind === 'composite' ? [] : kindOf(entry.kind).postgres.rowValues(entry);
}
