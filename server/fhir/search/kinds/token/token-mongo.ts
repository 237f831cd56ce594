/** Token entries in MongoDB: the indexes on idx.token and the filter on one element. */
import type { Filter } from '../../../../store/mongo/doc-db.js';
import { literalRegExp, NO_ELEMENT, or } from '../../../../store/mongo/filter-parts.js';
import type { TokenValue } from '../../search-query.js';
import type { MongoKind } from '../search-param-kind.js';

export const tokenMongo: MongoKind<'token'> = {
  indexes: [
    { name: 'token', keys: { 'idx.token.param': 1, 'idx.token.code': 1, 'idx.token.system': 1 } },
    { name: 'token_text', keys: { 'idx.token.param': 1, 'idx.token.text': 1 } },
  ],
  filter: (condition) => or(condition.values.map(tokenFilter), NO_ELEMENT),
  sortExtent: (e) => (e.code == null ? undefined : { kind: 'string', min: e.code, max: e.code }),
};

function tokenFilter(v: TokenValue): Filter {
  switch (v.match) {
    case 'code':
      return {
        ...(v.system !== undefined ? { system: v.system } : {}),
        ...(v.code !== undefined ? { code: v.code } : {}),
      };
    case 'text':
      return { text: literalRegExp(v.text, true) };
    case 'of-type':
      return { typeSystem: v.typeSystem, typeCode: v.typeCode, code: v.value };
  }
}
