/** Quantity entries in MongoDB: the indexes on idx.quantity and the filter on one element. */
import type { Filter } from '../../../../store/mongo/doc-db.js';
import { and, NO_ELEMENT, or, rangeFilter } from '../../../../store/mongo/filter-parts.js';
import type { QuantityValue } from '../../search-query.js';
import type { MongoKind } from '../search-param-kind.js';

export const quantityMongo: MongoKind<'quantity'> = {
  indexes: [
    { name: 'quantity', keys: { 'idx.quantity.param': 1, 'idx.quantity.value': 1 } },
    {
      name: 'quantity_canonical',
      keys: { 'idx.quantity.param': 1, 'idx.quantity.canonicalCode': 1, 'idx.quantity.canonicalValue': 1 },
    },
  ],
  filter: (condition) => or(condition.values.map(quantityFilter), NO_ELEMENT),
  sortExtent: (e) => {
    const v = e.canonicalValue ?? e.value;
    return { kind: 'number', min: v, max: v };
  },
};

/**
 * With `canonical`, the range applies to canonicalValue (all three bounds: the canonical form keeps no
 * precision range) and the code to canonicalCode; otherwise to value/low/high and code. Without a
 * system, the code matches the entry's code or its unit (FHIR quantity search).
 */
function quantityFilter(v: QuantityValue): Filter {
  const range = rangeFilter(v.match, (f) => (v.canonical ? 'canonicalValue' : f), NO_ELEMENT);
  const system = v.system !== undefined ? { system: v.system } : {};
  let code: Filter = {};
  if (v.code !== undefined) {
    if (v.canonical) code = { canonicalCode: v.code };
    else if (v.system !== undefined) code = { code: v.code };
    else code = { $or: [{ code: v.code }, { unit: v.code }] };
  }
  return and([range, system, code]);
}
