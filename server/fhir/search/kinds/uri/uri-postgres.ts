/** Uri entries in PostgreSQL: the rows of fhir_idx_uri and the predicate on one of them. */
import { anyOf, startsWith } from '../../../../store/postgres/search/sql-params.js';
import type { PostgresKind } from '../search-param-kind.js';

export const uriPostgres: PostgresKind<'uri'> = {
  columns: [{ name: 'value', type: 'text' }],
  rowValues: (e) => [e.value],
  predicate: ({ match, values }, a, params) => {
    switch (match) {
      case 'eq':
        return values.length === 0 ? 'FALSE' : `${a}.value = ANY(${params.bind(values, 'text[]')})`;
      case 'below':
        return anyOf(values.map((v) => startsWith(`${a}.value`, v, params)));
      case 'above': {
        // the entry is a prefix of the searched URI: compare with every prefix of it (index-friendly)
        const prefixes = new Set(values.flatMap((v) => Array.from({ length: v.length }, (_, i) => v.slice(0, i + 1))));
        return prefixes.size === 0 ? 'FALSE' : `${a}.value = ANY(${params.bind([...prefixes], 'text[]')})`;
      }
    }
  },
  sort: { ascending: 'a.value', descending: 'a.value', type: 'text' },
};
