/**
 * Composite conditions in Mongo: a composite entry is one idx.composite element whose `parts` hold the component
 * entries in order; a value matches when one element has, for every part, the part's kind and a value that the
 * part's kind filter accepts.
 */
import type { Filter } from '../../../../store/mongo/doc-db.js';
import { and, NO_ELEMENT, or, prefixFields } from '../../../../store/mongo/filter-parts.js';
import { UnsupportedQueryError } from '../../../../store/resource-store.js';
import { kindOf } from '../registry.js';
import { isPartCondition, type CompositeCondition } from './parse-composite.js';

export function compositeFilter(condition: CompositeCondition): Filter {
  return {
    'idx.composite': {
      $elemMatch: and([{ param: condition.param }, or(condition.values.map(compositeTuple), NO_ELEMENT)]),
    },
  };
}

/** One composite value: a single tuple whose i-th part satisfies the i-th condition. */
function compositeTuple(parts: CompositeCondition['values'][number]): Filter {
  return and(
    parts.map((part, i) => {
      if (!isPartCondition(part))
        throw new UnsupportedQueryError(`a composite component cannot be a ${part.kind} condition`);
      return prefixFields(and([{ kind: part.kind }, kindOf(part.kind).mongo.filter(part)]), `parts.${i}.`);
    }),
  );
}
