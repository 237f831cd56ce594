/** Reference entries in PostgreSQL: the rows of fhir_idx_reference and the predicate on one of them. */
import { allOf, anyOf, type SqlParams } from '../../../../store/postgres/search/sql-params.js';
import type { ReferenceValue } from '../../search-query.js';
import type { PostgresKind } from '../search-param-kind.js';

/** `Type/id` of a literal reference, else its URL. */
const SORT_VALUE = `coalesce(a.target_type || '/' || a.target_id, a.url)`;

export const referencePostgres: PostgresKind<'reference'> = {
  columns: [
    { name: 'target_type', type: 'text' },
    { name: 'target_id', type: 'text' },
    { name: 'url', type: 'text' },
    { name: 'identifier_system', type: 'text' },
    { name: 'identifier_value', type: 'text' },
  ],
  rowValues: (e) => [e.targetType, e.targetId, e.url, e.identifierSystem ?? null, e.identifierValue ?? null],
  predicate: (condition, a, params) => anyOf(condition.values.map((v) => referenceMatch(v, a, params))),
  sort: { ascending: SORT_VALUE, descending: SORT_VALUE, type: 'text' },
};

function referenceMatch(value: ReferenceValue, a: string, params: SqlParams): string {
  switch (value.match) {
    case 'literal': {
      const parts = [`${a}.target_id = ${params.bind(value.targetId, 'text')}`];
      if (value.targetType !== undefined) parts.push(`${a}.target_type = ${params.bind(value.targetType, 'text')}`);
      return allOf(parts);
    }
    case 'url':
      return `${a}.url = ${params.bind(value.url, 'text')}`;
    case 'identifier': {
      const parts = [`${a}.identifier_value = ${params.bind(value.value, 'text')}`];
      if (value.system !== undefined) parts.push(`${a}.identifier_system = ${params.bind(value.system, 'text')}`);
      return allOf(parts);
    }
  }
}
