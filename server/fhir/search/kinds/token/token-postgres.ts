/** Token entries in PostgreSQL: the rows of fhir_idx_token and the predicate on one of them. */
import type { TokenValue } from '../../search-query.js';
import { allOf, anyOf, startsWith, type SqlParams } from '../../../../store/postgres/search/sql-params.js';
import type { PostgresKind } from '../search-param-kind.js';

export const tokenPostgres: PostgresKind<'token'> = {
  columns: [
    { name: 'system', type: 'text' },
    { name: 'code', type: 'text' },
    { name: 'text', type: 'text' },
    { name: 'type_system', type: 'text' },
    { name: 'type_code', type: 'text' },
  ],
  rowValues: (e) => [e.system, e.code, e.text ?? null, e.typeSystem ?? null, e.typeCode ?? null],
  predicate: (condition, a, params) => anyOf(condition.values.map((v) => tokenMatch(v, a, params))),
  sort: { ascending: 'a.code', descending: 'a.code', type: 'text' },
};

function tokenMatch(value: TokenValue, a: string, params: SqlParams): string {
  switch (value.match) {
    case 'code': {
      const parts: string[] = [];
      if (value.code !== undefined) parts.push(`${a}.code = ${params.bind(value.code, 'text')}`);
      if (value.system === null) parts.push(`${a}.system IS NULL`);
      else if (value.system !== undefined) parts.push(`${a}.system = ${params.bind(value.system, 'text')}`);
      return allOf(parts);
    }
    case 'text':
      return startsWith(`${a}.text`, value.text, params);
    case 'of-type':
      return allOf([
        `${a}.code = ${params.bind(value.value, 'text')}`,
        `${a}.type_system = ${params.bind(value.typeSystem, 'text')}`,
        `${a}.type_code = ${params.bind(value.typeCode, 'text')}`,
      ]);
  }
}
