/** Quantity entries in PostgreSQL: the rows of fhir_idx_quantity and the predicate on one of them. */
import { compileRange } from '../../../../store/postgres/search/range-match.js';
import { allOf, anyOf, TRUE, type SqlParams } from '../../../../store/postgres/search/sql-params.js';
import type { QuantityValue } from '../../search-query.js';
import type { PostgresKind } from '../search-param-kind.js';

export const quantityPostgres: PostgresKind<'quantity'> = {
  columns: [
    { name: 'value', type: 'float8' },
    { name: 'low', type: 'float8' },
    { name: 'high', type: 'float8' },
    { name: 'system', type: 'text' },
    { name: 'code', type: 'text' },
    { name: 'unit', type: 'text' },
    { name: 'canonical_value', type: 'float8' },
    { name: 'canonical_low', type: 'float8' },
    { name: 'canonical_high', type: 'float8' },
    { name: 'canonical_code', type: 'text' },
  ],
  rowValues: (e) => {
    const canonical = canonicalBounds(e.value, e.low, e.high, e.canonicalValue);
    return [
      e.value,
      e.low,
      e.high,
      e.system,
      e.code,
      e.unit,
      e.canonicalValue ?? null,
      canonical.low,
      canonical.high,
      e.canonicalCode ?? null,
    ];
  },
  predicate: (condition, a, params) => anyOf(condition.values.map((v) => quantityMatch(v, a, params))),
  sort: { ascending: 'a.value', descending: 'a.value', type: 'float8' },
};

function quantityMatch(value: QuantityValue, a: string, params: SqlParams): string {
  const canonical = value.canonical === true;
  const columns = canonical
    ? { value: `${a}.canonical_value`, low: `${a}.canonical_low`, high: `${a}.canonical_high` }
    : { value: `${a}.value`, low: `${a}.low`, high: `${a}.high` };
  const parts = [compileRange(value.match, columns, false, params, { ordered: true })];
  if (value.system !== undefined) parts.push(`${a}.system = ${params.bind(value.system, 'text')}`);
  if (value.code !== undefined) {
    const code = params.bind(value.code, 'text');
    // `value||mg` (no system) matches the code or the human unit; with a system the code must match
    if (canonical) parts.push(`${a}.canonical_code = ${code}`);
    else if (value.system !== undefined) parts.push(`${a}.code = ${code}`);
    else parts.push(`(${a}.code = ${code} OR ${a}.unit = ${code})`);
  }
  return allOf(parts.filter((p) => p !== TRUE));
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
