/** Reference entries in MongoDB: the indexes on idx.reference and the filter on one element. */
import type { Filter } from '../../../../store/mongo/doc-db.js';
import { NO_ELEMENT, or } from '../../../../store/mongo/filter-parts.js';
import type { ReferenceValue } from '../../search-query.js';
import type { MongoKind } from '../search-param-kind.js';

export const referenceMongo: MongoKind<'reference'> = {
  indexes: [
    {
      name: 'reference',
      keys: { 'idx.reference.param': 1, 'idx.reference.targetId': 1, 'idx.reference.targetType': 1 },
    },
    { name: 'reference_url', keys: { 'idx.reference.param': 1, 'idx.reference.url': 1 } },
    { name: 'reference_identifier', keys: { 'idx.reference.param': 1, 'idx.reference.identifierValue': 1 } },
  ],
  filter: (condition) => or(condition.values.map(referenceFilter), NO_ELEMENT),
  sortExtent: (e) => {
    const v = e.targetType && e.targetId ? `${e.targetType}/${e.targetId}` : e.url;
    return v == null ? undefined : { kind: 'string', min: v, max: v };
  },
};

function referenceFilter(v: ReferenceValue): Filter {
  switch (v.match) {
    case 'literal':
      return { targetId: v.targetId, ...(v.targetType !== undefined ? { targetType: v.targetType } : {}) };
    case 'url':
      return { url: v.url };
    case 'identifier':
      return { identifierValue: v.value, ...(v.system !== undefined ? { identifierSystem: v.system } : {}) };
  }
}
